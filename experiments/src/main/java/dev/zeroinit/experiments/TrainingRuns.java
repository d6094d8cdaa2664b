package dev.zeroinit.experiments;

import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.finetune.data.DatasetException;
import dev.zeroinit.finetune.train.EpochMetrics;
import dev.zeroinit.finetune.train.FinetuneConfig;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.ObservedTensor;
import dev.zeroinit.finetune.train.Trainer;
import dev.zeroinit.finetune.train.TrainingListener;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pieces every experiment is made of: a reference model from {@code models} initialised by
 * {@code init}'s planner, Fashion-MNIST, one training run of {@code finetune}'s loop that forwards its
 * steps to the experiment's listener, and fingerprints of the trained weights.
 */
final class TrainingRuns {
  private TrainingRuns() {}

  /**
   * A catalog model initialised with {@code method}. ZerO and partial identity use ZerO's residual
   * scheme (the last layer of every residual branch zero); the random baselines initialise every
   * layer as {@code torch.nn.init} would, with no branch zeroed, as in the paper's comparisons.
   */
  static Onnx.ModelProto initialized(String name, ModelOptions options, InitMethod method,
      long seed) throws InvalidModelException {
    return initialized(name, options, method, seed,
        method.isRandom() ? ResidualMode.PLAIN : ResidualMode.ZERO_LAST);
  }

  /** A catalog model initialised with {@code method} and the residual scheme {@code residual}. */
  static Onnx.ModelProto initialized(String name, ModelOptions options, InitMethod method,
      long seed, ResidualMode residual) throws InvalidModelException {
    Onnx.ModelProto m = ModelCatalog.standard().build(name, options);
    PlanOptions plan = PlanOptions.defaults().withMethod(method, seed).withResidual(residual);
    return Rewriter.apply(m, Planner.plan(m, plan), Map.of());
  }

  /**
   * The CIFAR-style ResNet-18 shaped for Fashion-MNIST (1 channel, 28 x 28, 10 classes) at width
   * multiplier {@code width}, with or without BatchNormalization.
   */
  static ModelOptions fashionMnistResNet18(double width, boolean batchNorm) {
    return ModelOptions.DEFAULTS.withInChannels(1).withImageSize(28).withClasses(10)
        .withWidthMultiplier(width).withBatchNorm(batchNorm);
  }

  /**
   * Fashion-MNIST from {@code dir}: the first {@code trainLimit} training images and the first
   * {@code testLimit} test images (0: all of a split).
   */
  static DataSplits fashionMnist(Path dir, int trainLimit, int testLimit)
      throws IOException, DatasetException {
    DataSplits all = DataLoader.load(dir, DataOptions.defaults());
    if (all.test() == null) {
      throw new DatasetException(dir, "no test split found; the experiments need Fashion-MNIST's"
          + " t10k files beside its train files");
    }
    return new DataSplits(limit(all.train(), trainLimit), limit(all.test(), testLimit),
        all.testSource());
  }

  private static Dataset limit(Dataset d, int n) {
    return n <= 0 || n >= d.size() ? d : d.head(n);
  }

  /** One training run, its steps forwarded to {@code experiment}; {@code extra} sees everything. */
  static Trainer.Result train(Onnx.ModelProto model, DataSplits data, FinetuneConfig config,
      ExperimentListener experiment, TrainingListener extra)
      throws FinetuneException, IOException, DeviceUnavailableException {
    Forwarder f = new Forwarder(experiment, extra);
    return Trainer.train(new Trainer.Run(null, model, data, DataOptions.defaults(), config),
        Map.of(), f);
  }

  /** SHA-256 over every initializer's name, type, shape and bytes, in graph order. */
  static String weightsDigest(Onnx.ModelProto m) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
      md.update(t.getName().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update((byte) t.getDataType());
      for (long d : t.getDimsList()) {
        md.update(Long.toString(d).getBytes(StandardCharsets.US_ASCII));
        md.update((byte) ',');
      }
      md.update(t.toBuilder().clearName().clearDocString().build().toByteArray());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Every float initializer of {@code m}, concatenated in graph order (to measure distances). */
  static double[] floatWeights(Onnx.ModelProto m) throws InvalidModelException {
    List<double[]> parts = new ArrayList<>();
    int n = 0;
    for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
      if (t.getDataType() == Onnx.TensorProto.DataType.FLOAT_VALUE) {
        double[] v = TensorCodec.decode(t);
        parts.add(v);
        n += v.length;
      }
    }
    double[] all = new double[n];
    int at = 0;
    for (double[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  /** Steps per epoch of a run: full batches only, as the loop takes them. */
  static long steps(int samples, int batch, int epochs) {
    return (long) (samples / batch) * epochs;
  }

  /** The test accuracy of a run's last epoch, in percent. */
  static double lastTestAccuracyPercent(Trainer.Result r) {
    EpochMetrics m = r.last();
    return m == null ? Double.NaN : 100 * m.testAccuracy();
  }

  /** Forwards the loop's steps to the experiment, and everything to {@code extra}. */
  private static final class Forwarder implements TrainingListener {
    private final ExperimentListener experiment;
    private final TrainingListener extra;

    Forwarder(ExperimentListener experiment, TrainingListener extra) {
      this.experiment = experiment;
      this.extra = extra;
    }

    @Override
    public void info(String line) {
      extra.info(line);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps, int batchSize) {
      extra.epochStarted(epoch, epochs, steps, batchSize);
    }

    @Override
    public void stepDone(int step, double loss, double meanLoss, double lr, double sps) {
      experiment.stepDone(loss);
      extra.stepDone(step, loss, meanLoss, lr, sps);
    }

    @Override
    public Set<String> observe(long step) {
      return extra.observe(step);
    }

    @Override
    public void observed(long step, Map<String, ObservedTensor> v) {
      extra.observed(step, v);
    }

    @Override
    public void evaluating() {
      experiment.status("evaluating the test set");
      extra.evaluating();
    }

    @Override
    public void epochDone(EpochMetrics metrics, int epochs) {
      extra.epochDone(metrics, epochs);
    }
  }
}
