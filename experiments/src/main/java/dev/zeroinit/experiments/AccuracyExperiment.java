package dev.zeroinit.experiments;

import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.DatasetException;
import dev.zeroinit.finetune.train.EpochMetrics;
import dev.zeroinit.finetune.train.FinetuneConfig;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.LrSchedule;
import dev.zeroinit.finetune.train.Trainer;
import dev.zeroinit.finetune.train.TrainingListener;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.models.CifarResNet;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ZerO against the random baselines (the paper's accuracy claim): the CIFAR-style ResNet-18 (at a
 * reduced width that trains on a few CPU cores) on Fashion-MNIST with SGD momentum 0.9, weight decay
 * 1e-4, lr 0.1 with a linear warm-up then cosine decay. ZerO is deterministic: it runs twice and the
 * two runs are compared bit for bit; each random method runs once per seed. ZerO also runs once
 * without warm-up, as the paper says warm-up is essential to it.
 */
public final class AccuracyExperiment {
  public static final String NAME = "accuracy";

  private AccuracyExperiment() {}

  /**
   * The experiment's parameters.
   *
   * @param width ResNet-18's width multiplier (1.0: 64-128-256-512 channels)
   * @param epochs epochs of each run
   * @param batch the batch size
   * @param lr the peak learning rate
   * @param momentum SGD momentum
   * @param weightDecay L2 weight decay (PyTorch's SGD semantics)
   * @param warmupEpochs linear warm-up before the cosine decay
   * @param baselines the random methods ZerO is compared with
   * @param seeds the seeds each random method runs with
   * @param zeroRuns how many times ZerO runs (identical runs expected)
   * @param zeroResidual ZerO's residual scheme: the last layer of each branch zero (the default)
   *     or every layer by ZerO's matrix rule
   * @param batchNorm ResNet-18 with BatchNormalization after every convolution (the standard
   *     form), or without it (convolutions with biases), the regime ZerO was designed for
   * @param noWarmupRun also run ZerO without warm-up
   * @param trainLimit training images used (0: all 60,000)
   * @param testLimit test images evaluated after each epoch (0: all 10,000)
   */
  public record Options(double width, int epochs, int batch, double lr, double momentum,
      double weightDecay, double warmupEpochs, List<InitMethod> baselines, List<Long> seeds,
      int zeroRuns, ResidualMode zeroResidual, boolean batchNorm, boolean noWarmupRun,
      int trainLimit, int testLimit) {
    public Options {
      baselines = List.copyOf(baselines);
      seeds = List.copyOf(seeds);
      if (!(width > 0) || epochs < 1 || batch < 1 || zeroRuns < 1) {
        throw new IllegalArgumentException("--width must be above 0; --epochs, --batch and the ZerO"
            + " runs at least 1");
      }
    }

    /** The full run: width 1/8, 5 epochs of 20,000 images, batch 128, 3 seeds per baseline. */
    public static Options full() {
      return new Options(0.125, 5, 128, 0.1, 0.9, 1e-4, 1, List.of(InitMethod.KAIMING_NORMAL,
          InitMethod.XAVIER_NORMAL), List.of(1L, 2L, 3L), 2, ResidualMode.ZERO_LAST, true, true,
          20000, 0);
    }

    /** The plumbing in seconds: width 1/16, 2 epochs of 640 images, 2 seeds. */
    public static Options quick() {
      return new Options(0.0625, 2, 64, 0.1, 0.9, 1e-4, 1, full().baselines(), List.of(1L, 2L), 2,
          ResidualMode.ZERO_LAST, true, true, 640, 500);
    }
  }

  /** One planned run. */
  record Spec(InitMethod method, long seed, int repeat, boolean warmup) {
    String label() {
      return method.optionName() + (method.isRandom() ? " seed " + seed : " run " + repeat)
          + (warmup ? "" : ", no warm-up");
    }
  }

  /**
   * One run's outcome.
   *
   * @param history the metrics of every epoch done
   * @param diverged why it stopped early (the loss became NaN/inf), or null
   * @param digest SHA-256 of the trained weights (null when diverged)
   */
  public record Run(InitMethod method, long seed, int repeat, boolean warmup,
      List<EpochMetrics> history, String diverged, String digest, double seconds) {
    String label() {
      return new Spec(method, seed, repeat, warmup).label();
    }

    double finalAccuracy() {
      return diverged != null || history.isEmpty() ? Double.NaN
          : 100 * history.get(history.size() - 1).testAccuracy();
    }
  }

  static List<Spec> plan(Options o) {
    List<Spec> specs = new ArrayList<>();
    for (int i = 1; i <= o.zeroRuns(); i++) {
      specs.add(new Spec(InitMethod.ZERO, 0, i, true));
    }
    for (InitMethod m : o.baselines()) {
      for (long seed : o.seeds()) {
        specs.add(new Spec(m, seed, 1, true));
      }
    }
    if (o.noWarmupRun()) {
      specs.add(new Spec(InitMethod.ZERO, 0, 1, false));
    }
    return specs;
  }

  /** Runs the experiment and writes its files into {@code s.out()}. */
  public static Outcome run(ExperimentSettings s, Options o, ExperimentListener listener)
      throws IOException, DatasetException, FinetuneException, DeviceUnavailableException,
      InvalidModelException {
    long t0 = System.nanoTime();
    DataSplits data = TrainingRuns.fashionMnist(s.data(), o.trainLimit(), o.testLimit());
    List<Spec> plan = plan(o);
    long stepsPerRun = TrainingRuns.steps(data.train().size(), o.batch(), o.epochs());
    ModelOptions mo = TrainingRuns.fashionMnistResNet18(o.width(), o.batchNorm());
    listener.info(String.format(Locale.ROOT, "%d runs of ResNet-18 (width x%s) for %d epochs of"
        + " %d images (%d steps of %d each)", plan.size(), SummaryText.number(o.width()),
        o.epochs(), data.train().size(), stepsPerRun, o.batch()));
    listener.planned(plan.size(), stepsPerRun * plan.size());
    List<Run> runs = new ArrayList<>();
    String provider = null;
    for (int i = 0; i < plan.size(); i++) {
      Spec spec = plan.get(i);
      listener.runStarted(i + 1, plan.size(), spec.label());
      Onnx.ModelProto model = TrainingRuns.initialized(CifarResNet.RESNET18, mo, spec.method(),
          spec.seed(), spec.method().isRandom() ? ResidualMode.PLAIN : o.zeroResidual());
      FinetuneConfig config = FinetuneConfig.builder().epochs(o.epochs()).batchSize(o.batch())
          .lr(o.lr()).schedule(LrSchedule.Kind.COSINE)
          .warmupEpochs(spec.warmup() ? o.warmupEpochs() : 0)
          .optimizer(OptimizerConfig.sgd(o.momentum(), false, o.weightDecay()))
          .device(s.device()).threads(s.threads()).spinning(s.spinning()).seed(0).build();
      List<EpochMetrics> history = new ArrayList<>();
      TrainingListener epochs = new TrainingListener() {
        @Override
        public void epochDone(EpochMetrics m, int total) {
          history.add(m);
          listener.status(String.format(Locale.ROOT, "epoch %d/%d: test accuracy %.2f%%",
              m.epoch(), total, 100 * m.testAccuracy()));
        }
      };
      long r0 = System.nanoTime();
      String diverged = null;
      String digest = null;
      try {
        Trainer.Result r = TrainingRuns.train(model, data, config, listener, epochs);
        digest = TrainingRuns.weightsDigest(r.model());
        provider = r.provider().describe();
      } catch (FinetuneException e) {
        if (e.kind() != FinetuneException.Kind.DIVERGED) {
          throw e;
        }
        diverged = e.getMessage();
      }
      Run run = new Run(spec.method(), spec.seed(), spec.repeat(), spec.warmup(),
          List.copyOf(history), diverged, digest, (System.nanoTime() - r0) / 1e9);
      runs.add(run);
      listener.runDone(run.label() + ": " + (diverged != null ? "diverged (" + diverged + ")"
          : String.format(Locale.ROOT, "test accuracy %.2f%%", run.finalAccuracy())));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;

    ResultTable points = new ResultTable("run", "method", "seed", "warmup_epochs", "epoch", "lr",
        "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds");
    for (Run r : runs) {
      for (EpochMetrics m : r.history()) {
        points.add(r.label(), r.method().optionName(), r.method().isRandom() ? r.seed() : "",
            SummaryText.number(r.warmup() ? o.warmupEpochs() : 0), m.epoch(),
            String.format(Locale.ROOT, "%.6g", m.lr()), String.format(Locale.ROOT, "%.6f",
                m.trainLoss()), String.format(Locale.ROOT, "%.6f", m.trainAccuracy()),
            String.format(Locale.ROOT, "%.6f", m.testLoss()), String.format(Locale.ROOT, "%.6f",
                m.testAccuracy()), String.format(Locale.ROOT, "%.1f", r.seconds()));
      }
    }
    ResultTable summary = summary(o, runs);
    List<String> verdicts = verdicts(runs);
    byte[] png = chart(o, runs);
    String md = markdown(s, o, data, runs, summary, verdicts, seconds, provider);
    var files = ExperimentFiles.write(s.out(), NAME, points, png, md);
    return new Outcome(summary, files, verdicts, seconds);
  }

  /** Final test accuracy per method (and ZerO without warm-up), mean ± std over its runs. */
  static ResultTable summary(Options o, List<Run> runs) {
    ResultTable t = new ResultTable("method", "warm-up", "runs", "test accuracy (%)", "min", "max",
        "diverged");
    List<String> done = new ArrayList<>();
    for (Run r : runs) {
      String key = r.method().optionName() + "/" + r.warmup();
      if (done.contains(key)) {
        continue;
      }
      done.add(key);
      List<Run> group = runs.stream().filter(x -> x.method() == r.method()
          && x.warmup() == r.warmup()).toList();
      List<Double> acc = group.stream().filter(x -> x.diverged() == null)
          .map(Run::finalAccuracy).toList();
      Stats st = Stats.of(acc);
      t.add(r.method().optionName(), r.warmup() ? SummaryText.number(o.warmupEpochs())
          + " epoch(s)" : "none", group.size(), acc.isEmpty() ? "-" : st.format(2),
          acc.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", st.min()),
          acc.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", st.max()),
          group.size() - acc.size());
    }
    return t;
  }

  static List<String> verdicts(List<Run> runs) {
    List<String> v = new ArrayList<>();
    List<Run> zero = runs.stream().filter(r -> r.method() == InitMethod.ZERO && r.warmup())
        .toList();
    if (zero.size() > 1) {
      boolean same = zero.stream().allMatch(r -> r.diverged() == null
          && r.digest().equals(zero.get(0).digest())
          && sameMetrics(r.history(), zero.get(0).history()));
      v.add("ZerO is deterministic: its " + zero.size() + " runs "
          + (same ? "are identical (same trained weights, SHA-256 " + zero.get(0).digest()
              .substring(0, 16) + "..., and the same metrics every epoch)"
              : "differ (see the reproducibility experiment for why)"));
    }
    Stats zs = Stats.of(zero.stream().filter(r -> r.diverged() == null).map(Run::finalAccuracy)
        .toList());
    for (InitMethod m : runs.stream().map(Run::method).filter(InitMethod::isRandom).distinct()
        .toList()) {
      Stats bs = Stats.of(runs.stream().filter(r -> r.method() == m && r.diverged() == null)
          .map(Run::finalAccuracy).toList());
      if (zs.n() > 0 && bs.n() > 0) {
        double d = zs.mean() - bs.mean();
        v.add(String.format(Locale.ROOT, "ZerO %.2f%% against %s %s%%: %+.2f points (%s)",
            zs.mean(), m.optionName(), bs.format(2), d, Math.abs(d) <= Math.max(2 * bs.std(), 0.5)
                ? "within the seeds' spread: comparable, as the paper claims"
                : d > 0 ? "ZerO ahead" : "ZerO behind"));
      }
    }
    runs.stream().filter(r -> r.method() == InitMethod.ZERO && !r.warmup()).findFirst()
        .ifPresent(r -> v.add("ZerO without warm-up: " + (r.diverged() != null ? "diverged ("
            + r.diverged() + ")" : String.format(Locale.ROOT, "%.2f%% (%+.2f points against"
                + " ZerO with warm-up)", r.finalAccuracy(), r.finalAccuracy() - zs.mean()))));
    return v;
  }

  /** Equal losses, accuracies and learning rates every epoch (the speed may differ). */
  static boolean sameMetrics(List<EpochMetrics> a, List<EpochMetrics> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      EpochMetrics x = a.get(i);
      EpochMetrics y = b.get(i);
      if (!x.equals(new EpochMetrics(y.epoch(), y.step(), y.lr(), y.trainLoss(),
          y.trainAccuracy(), y.testLoss(), y.testAccuracy(), x.samplesPerSecond()))) {
        return false;
      }
    }
    return true;
  }

  private static byte[] chart(Options o, List<Run> runs) throws IOException {
    List<LineChart.Line> acc = new ArrayList<>();
    List<LineChart.Line> loss = new ArrayList<>();
    List<InitMethod> colours = new ArrayList<>();
    for (Run r : runs) {
      if (!colours.contains(r.method())) {
        colours.add(r.method());
      }
      double[] x = r.history().stream().mapToDouble(EpochMetrics::epoch).toArray();
      int colour = colours.indexOf(r.method());
      acc.add(new LineChart.Line(r.label(), colour, !r.warmup(), x, r.history().stream()
          .mapToDouble(m -> 100 * m.testAccuracy()).toArray()));
      loss.add(new LineChart.Line(r.label(), colour, !r.warmup(), x, r.history().stream()
          .mapToDouble(EpochMetrics::trainLoss).toArray()));
    }
    return LineChart.png("ResNet-18 (width x" + SummaryText.number(o.width())
        + (o.batchNorm() ? "" : ", no BatchNorm")
        + ") on Fashion-MNIST: ZerO against random initialisations", "epoch",
        List.of(new LineChart.Panel("test accuracy (%)", acc),
            new LineChart.Panel("training loss", loss, Double.NaN, "", true)), 1000, 900);
  }

  private static String markdown(ExperimentSettings s, Options o, DataSplits data, List<Run> runs,
      ResultTable summary, List<String> verdicts, double seconds, String provider) {
    StringBuilder b = new StringBuilder();
    b.append("# Accuracy: ZerO against random initialisations").append(s.quick()
        ? " - quick run" : "").append("\n\n");
    b.append(String.format(Locale.ROOT, "CIFAR-style ResNet-18 (%s, width x%s, 1 input"
        + " channel, 28x28) on Fashion-MNIST (%d training images, %d test images), %d epochs,"
        + " batch %d, SGD momentum %s, weight decay %s, lr %s with %s epoch(s) of linear warm-up,"
        + " then cosine decay; the same batches in the same order for every run. ZerO: %s; the"
        + " random methods initialise every layer as torch.nn.init does.%n%n",
        o.batchNorm() ? "BatchNorm" : "no BatchNorm, convolutions with biases",
        SummaryText.number(o.width()),
        data.train().size(), data.test().size(), o.epochs(), o.batch(),
        SummaryText.number(o.momentum()), SummaryText.number(o.weightDecay()),
        SummaryText.number(o.lr()),
        SummaryText.number(o.warmupEpochs()), o.zeroResidual() == ResidualMode.ZERO_LAST
            ? "residual scheme zero-last (the last layer of each branch zero)"
            : "residual scheme plain (every layer by the matrix rule, no branch zeroed)"));
    b.append(summary.markdown()).append('\n');
    ResultTable each = new ResultTable("run", "final test accuracy (%)", "final train loss",
        "seconds");
    for (Run r : runs) {
      EpochMetrics last = r.history().isEmpty() ? null : r.history().get(r.history().size() - 1);
      each.add(r.label(), r.diverged() != null ? "diverged" : String.format(Locale.ROOT, "%.2f",
          r.finalAccuracy()), last == null ? "-" : String.format(Locale.ROOT, "%.4f",
              last.trainLoss()), String.format(Locale.ROOT, "%.0f", r.seconds()));
    }
    b.append(each.markdown()).append('\n');
    SummaryText.chartVerdictsAndRunFacts(b, NAME, "learning curves", verdicts, s, seconds,
        provider);
    return b.toString();
  }
}
