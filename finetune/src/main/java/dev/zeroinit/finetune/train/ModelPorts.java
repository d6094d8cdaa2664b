package dev.zeroinit.finetune.train;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.onnxio.graph.GraphInputs;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.Arrays;
import java.util.List;

/**
 * The forward model's one batch input and the output the loss reads, and how a data set's samples
 * and targets fit them: samples of rank above 1 are flattened for a model whose input is
 * {@code [N, F]}; fixed dims must equal the sample's; class labels must lie below the output's class
 * count.
 *
 * @param input the batch input's name
 * @param inputType its ONNX element type (FLOAT or INT64)
 * @param inputDims its dims, -1 where symbolic
 * @param output the output's name
 * @param outputType its element type
 * @param outputDims its dims, -1 where symbolic or unknown
 */
public record ModelPorts(String input, int inputType, long[] inputDims, String output,
    int outputType, long[] outputDims) {

  /** The ports of {@code forward}; {@code outputName} null for its first output. */
  public static ModelPorts of(Onnx.ModelProto forward, String outputName) throws FinetuneException {
    Onnx.GraphProto g = forward.getGraph();
    List<Onnx.ValueInfoProto> inputs = GraphInputs.fed(g);
    if (inputs.size() != 1) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, "the model has " + inputs.size()
          + " inputs (" + String.join(", ", inputs.stream().map(Onnx.ValueInfoProto::getName)
          .toList()) + "); fine-tuning feeds one input with the data's samples");
    }
    Onnx.ValueInfoProto in = inputs.get(0);
    if (!in.getType().hasTensorType()) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, "the model's input '"
          + in.getName() + "' is not a tensor");
    }
    int inType = in.getType().getTensorType().getElemType();
    if (inType != DataType.FLOAT_VALUE && inType != DataType.INT64_VALUE) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, "the model's input '"
          + in.getName() + "' is of element type " + inType + "; the data can be fed as float32"
          + " (features) or int64 (token ids) only");
    }
    Onnx.ValueInfoProto out = null;
    for (Onnx.ValueInfoProto o : g.getOutputList()) {
      if (outputName == null || o.getName().equals(outputName)) {
        out = o;
        break;
      }
    }
    if (out == null) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, outputName == null
          ? "the model has no output" : "the model has no output '" + outputName + "'");
    }
    int outType = out.getType().hasTensorType() ? out.getType().getTensorType().getElemType() : 0;
    return new ModelPorts(in.getName(), inType, dims(in), out.getName(), outType, dims(out));
  }

  private static long[] dims(Onnx.ValueInfoProto v) {
    if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
      return null;
    }
    return v.getType().getTensorType().getShape().getDimList().stream()
        .mapToLong(d -> d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : -1).toArray();
  }

  /** Whether samples of {@code data} are fed flattened: the input is [N, F] and samples are not. */
  public boolean flattens(Dataset data) {
    int[] stored = data.flatten(false).shape();
    return inputDims != null && inputDims.length == 2 && stored.length > 1;
  }

  /** The input's fixed batch size, or 0 when it is symbolic. */
  public int fixedBatch() {
    return inputDims != null && inputDims.length > 0 && inputDims[0] > 0
        ? Math.toIntExact(inputDims[0]) : 0;
  }

  /** The input's shape for {@code n} samples of {@code data} (already flattened as needed). */
  public long[] inputShape(int n, Dataset data) {
    int[] s = data.shape();
    long[] shape = new long[s.length + 1];
    shape[0] = n;
    for (int i = 0; i < s.length; i++) {
      shape[i + 1] = s[i];
    }
    return shape;
  }

  /**
   * Checks that {@code data} (already flattened as {@link #flattens} says) fits the input and, for
   * {@code loss}, the output.
   */
  public void check(Dataset data, LossKind loss) throws FinetuneException {
    int[] s = data.shape();
    if (inputDims != null) {
      boolean fits = inputDims.length == s.length + 1;
      for (int i = 0; fits && i < s.length; i++) {
        fits = inputDims[i + 1] < 0 || inputDims[i + 1] == s[i];
      }
      if (!fits) {
        throw new FinetuneException(FinetuneException.Kind.USAGE, data.name() + ": samples of "
            + Arrays.toString(s).replace(" ", "") + " do not fit the model's input '" + input
            + "' " + dimString(inputDims));
      }
    }
    long classes = outputDims != null && outputDims.length >= 2
        ? outputDims[outputDims.length - 1] : -1;
    switch (loss) {
      case CROSS_ENTROPY -> {
        if (!data.hasClasses()) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, data.name()
              + " holds regression targets; cross-entropy needs class labels (use --loss mse)");
        }
        if (outputDims != null && outputDims.length != 2) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, "cross-entropy needs an output"
              + " of [N, classes]; '" + output + "' is " + dimString(outputDims));
        }
        if (classes > 0 && data.numClasses() > classes) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, data.name() + " has labels up to "
              + (data.numClasses() - 1) + " but the model's output '" + output + "' has " + classes
              + " classes");
        }
      }
      case LANGUAGE_MODEL -> {
        if (inputType != DataType.INT64_VALUE || s.length != 1) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, "--loss lm needs a model that"
              + " reads int64 token ids [N, S] and samples of S token ids");
        }
        if (data.hasClasses() || data.targetSize() != s[0]) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, data.name() + ": --loss lm needs"
              + " targets of " + s[0] + " next-token ids per sample (y of [N, " + s[0] + "])");
        }
      }
      case MSE -> {
        if (data.hasClasses()) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, data.name()
              + " holds class labels; --loss mse needs regression targets (use --loss ce)");
        }
        long per = 1;
        boolean known = outputDims != null;
        for (int i = 1; known && i < outputDims.length; i++) {
          known = outputDims[i] > 0;
          per *= Math.max(outputDims[i], 1);
        }
        if (known && per != data.targetSize()) {
          throw new FinetuneException(FinetuneException.Kind.USAGE, data.name() + " has "
              + data.targetSize() + " target values per sample but the model's output '" + output
              + "' " + dimString(outputDims) + " has " + per);
        }
      }
      default -> throw new IllegalStateException(loss.name());
    }
  }

  static String dimString(long[] dims) {
    if (dims == null) {
      return "[?]";
    }
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      b.append(i == 0 ? "" : ",").append(dims[i] < 0 ? (i == 0 ? "N" : "?") : String.valueOf(dims[i]));
    }
    return b.append(']').toString();
  }
}
