package dev.zeroinit.finetune.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.data.Augmentation;
import dev.zeroinit.finetune.data.Batches;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.finetune.data.Normalization;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.DeviceUnavailableException;
import dev.zeroinit.verify.OrtRuntime;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a forward model over a data set and measures the loss and the accuracy in Java, in double
 * precision, from the output: cross-entropy as log-sum-exp minus the label's logit, a prediction
 * correct when the first largest logit is the label's (as ONNX's ArgMax picks); the language model
 * per token; MSE per element. The same code measures the test set during training (parameters fed as
 * inputs) and in {@code zero-init eval} (the written model as it is), so the two agree.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * What an evaluation measured.
   *
   * @param samples samples evaluated
   * @param predictions what the loss averages over: samples (cross-entropy), tokens (language
   *     model) or elements (MSE)
   * @param lossSum the loss summed over the predictions
   * @param correct correct predictions, -1 for MSE
   */
  public record Result(long samples, long predictions, double lossSum, long correct) {
    /** The mean loss. */
    public double loss() {
      return predictions == 0 ? Double.NaN : lossSum / predictions;
    }

    /** The fraction of predictions that are correct, NaN for MSE. */
    public double accuracy() {
      return correct < 0 || predictions == 0 ? Double.NaN : (double) correct / predictions;
    }
  }

  /**
   * An evaluation of a model file.
   *
   * @param result what was measured
   * @param provider the execution provider that ran
   * @param data the data as fed (flattened when the model's input asks for it)
   */
  public record Evaluation(Result result, OrtRuntime.Provider provider, Dataset data) {}

  /**
   * Evaluates the model file {@code modelFile} (whose graph is {@code model}, as read) on
   * {@code data}: ONNX Runtime opens the file itself, with its weights as they are stored.
   *
   * @param normalization the normalisation the model was trained with, or null
   * @param output the output the loss reads, or null for the first
   * @param batch samples per run (a model with a fixed batch dim runs that size, padded)
   */
  public static Evaluation evaluate(Path modelFile, Onnx.ModelProto model, Dataset data,
      Normalization normalization, LossKind loss, String output, int batch, Device device,
      int threads, boolean spinning)
      throws FinetuneException, DeviceUnavailableException {
    ModelPorts ports = ModelPorts.of(model, output);
    Dataset fed = data.flatten(ports.flattens(data));
    ports.check(fed, loss);
    int size = ports.fixedBatch() > 0 ? ports.fixedBatch() : batch;
    String path = modelFile.toAbsolutePath().toString();
    OrtRuntime.Session session;
    try {
      session = OrtRuntime.open((e, o) -> e.createSession(path, o), device, threads,
          Map.of(Trainer.SPINNING, spinning ? "1" : "0"));
    } catch (OrtException e) {
      throw new FinetuneException(e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED
          ? FinetuneException.Kind.NOT_RUNNABLE : FinetuneException.Kind.INVALID_INPUT,
          "ONNX Runtime refuses the model: " + Trainer.firstLine(e.getMessage()), e);
    }
    try (session;
        BatchFeed feed = new BatchFeed(OrtRuntime.environment(), ports, fed, loss, size)) {
      Batches batches = new Batches(fed, size, false, false, 0, normalization, Augmentation.NONE);
      return new Evaluation(run(session.session(), ports, feed, batches, loss, Map.of()),
          session.provider(), fed);
    } catch (OrtException e) {
      throw new FinetuneException(FinetuneException.Kind.NOT_RUNNABLE, "ONNX Runtime could not run"
          + " the model on " + session.provider().name() + ": " + Trainer.firstLine(e.getMessage()),
          e);
    }
  }

  /**
   * Evaluates every batch of {@code batches} (in their order, all samples) with {@code session},
   * feeding the batch through {@code feed} and {@code fixed} as further inputs.
   */
  static Result run(OrtSession session, ModelPorts ports, BatchFeed feed, Batches batches,
      LossKind loss, Map<String, OnnxTensor> fixed) throws OrtException {
    batches.startEpoch(0);
    Accumulator acc = new Accumulator(loss, feed.targetWidth());
    int fixedBatch = ports.fixedBatch();
    Set<String> out = Set.of(ports.output());
    for (int b = 0; b < batches.count(); b++) {
      int n = feed.fill(batches, b);
      // a model with a fixed batch dim runs the padded full batch; its padding is not counted
      List<OnnxTensor> t = fixedBatch > 0 ? feed.tensors(feed.batchSize()) : feed.tensors(n);
      Map<String, OnnxTensor> inputs = new HashMap<>(fixed);
      inputs.put(ports.input(), t.get(0));
      try (OrtSession.Result r = session.run(inputs, out)) {
        OnnxValue v = r.get(ports.output()).orElseThrow();
        if (!(v instanceof OnnxTensor o)) {
          throw new IllegalStateException("output '" + ports.output() + "' is not a tensor");
        }
        acc.add(o, feed.targetBytes(), n);
      } finally {
        if (t.get(0) != feed.input()) {
          t.forEach(OnnxTensor::close);
        }
      }
    }
    return acc.result();
  }

  /** Sums the loss and the correct predictions of batches of outputs. */
  static final class Accumulator {
    private final LossKind loss;
    private final int targetWidth;
    private long samples;
    private long predictions;
    private double lossSum;
    private long correct;

    Accumulator(LossKind loss, int targetWidth) {
      this.loss = loss;
      this.targetWidth = targetWidth;
    }

    /** Adds the first {@code n} samples of output {@code out} against {@code targets}. */
    void add(OnnxTensor out, ByteBuffer targets, int n) {
      long[] shape = out.getInfo().getShape();
      int type = outputType(out);
      ByteBuffer v = TensorData.view(out);
      samples += n;
      switch (loss) {
        case CROSS_ENTROPY -> {
          int classes = Math.toIntExact(shape[shape.length - 1]);
          for (int i = 0; i < n; i++) {
            addLogits(v, type, i * classes, classes, (int) targets.getLong(i * 8));
          }
        }
        case LANGUAGE_MODEL -> {
          int vocab = Math.toIntExact(shape[shape.length - 1]);
          for (int i = 0; i < n * targetWidth; i++) {
            addLogits(v, type, i * vocab, vocab, (int) targets.getLong(i * 8));
          }
        }
        case MSE -> {
          int per = Math.toIntExact(Tensors.elementCount(shape) / shape[0]);
          for (int i = 0; i < n * per; i++) {
            double d = TensorData.get(v, type, i) - targets.getFloat(i * 4);
            lossSum += d * d;
          }
          predictions += (long) n * per;
        }
        default -> throw new IllegalStateException(loss.name());
      }
    }

    private void addLogits(ByteBuffer v, int type, int offset, int classes, int label) {
      double max = TensorData.get(v, type, offset);
      int arg = 0;
      for (int k = 1; k < classes; k++) {
        double z = TensorData.get(v, type, offset + k);
        if (z > max) {
          max = z;
          arg = k;
        }
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += Math.exp(TensorData.get(v, type, offset + k) - max);
      }
      lossSum += max + Math.log(sum) - TensorData.get(v, type, offset + label);
      predictions++;
      if (arg == label) {
        correct++;
      }
    }

    Result result() {
      return new Result(samples, predictions, lossSum, loss == LossKind.MSE ? -1 : correct);
    }
  }

  static int outputType(OnnxTensor t) {
    return switch (t.getInfo().type) {
      case FLOAT -> 1;
      case DOUBLE -> 11;
      case FLOAT16 -> 10;
      case BFLOAT16 -> 16;
      default -> throw new IllegalStateException("the output is of type " + t.getInfo().type
          + "; the loss needs floats");
    };
  }
}
