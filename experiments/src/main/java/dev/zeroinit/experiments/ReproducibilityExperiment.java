package dev.zeroinit.experiments;

import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.DatasetException;
import dev.zeroinit.finetune.train.FinetuneConfig;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.LrSchedule;
import dev.zeroinit.finetune.train.Trainer;
import dev.zeroinit.finetune.train.TrainingListener;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.models.CifarResNet;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reproducibility (the paper's third claim): ZerO has no random draw, so two runs of the same
 * command train to bitwise-identical weights when the arithmetic is deterministic. Runs ZerO twice
 * per thread count (one ONNX Runtime thread, and more) and a random method once per seed, all on the
 * same batches in the same order, for N steps of the small ResNet-18 on Fashion-MNIST; compares the
 * trained weights bit for bit (SHA-256, largest difference) and measures how far apart the seeds
 * end (relative distance of the weights, spread of the loss and test accuracy).
 */
public final class ReproducibilityExperiment {
  public static final String NAME = "reproducibility";

  private ReproducibilityExperiment() {}

  /**
   * The experiment's parameters.
   *
   * @param width ResNet-18's width multiplier
   * @param steps training steps of each run
   * @param batch the batch size
   * @param lr the learning rate (linear warm-up over the run, SGD momentum 0.9, weight decay 1e-4)
   * @param threads the ONNX Runtime thread counts ZerO runs twice with
   * @param baseline the random method
   * @param seeds the baseline's seeds
   * @param testLimit test images evaluated at the end (0: all 10,000)
   */
  public record Options(double width, int steps, int batch, double lr, List<Integer> threads,
      InitMethod baseline, List<Long> seeds, int testLimit) {
    public Options {
      threads = List.copyOf(threads);
      seeds = List.copyOf(seeds);
      if (!(width > 0) || steps < 1 || batch < 1 || threads.stream().anyMatch(t -> t < 1)) {
        throw new IllegalArgumentException("--width must be above 0; --steps, --batch and every"
            + " thread count at least 1");
      }
    }

    /** The full run: 200 steps of 64 images, ZerO with 1 and 2 threads, Kaiming with 3 seeds. */
    public static Options full() {
      return new Options(0.125, 200, 64, 0.1, List.of(1, 2), InitMethod.KAIMING_NORMAL,
          List.of(1L, 2L, 3L), 0);
    }

    /** The plumbing in seconds: 10 steps of 32 images at width 1/16, 2 seeds. */
    public static Options quick() {
      return new Options(0.0625, 10, 32, 0.1, List.of(1, 2), InitMethod.KAIMING_NORMAL,
          List.of(1L, 2L), 500);
    }
  }

  record Spec(InitMethod method, long seed, int threads, int repeat) {
    String label() {
      return method.optionName() + (method.isRandom() ? " seed " + seed : " run " + repeat)
          + ", " + ReproducibilityExperiment.threads(threads);
    }
  }

  /** One run: its per-step losses, its trained weights and their digest, its test metrics. */
  public record Run(InitMethod method, long seed, int threads, int repeat, List<Double> losses,
      double[] weights, String digest, double testLoss, double testAccuracy, double seconds) {
    String label() {
      return new Spec(method, seed, threads, repeat).label();
    }
  }

  /**
   * How two ZerO runs compare.
   *
   * @param what which two runs: the same command twice, or one thread count against another
   */
  public record Pair(String what, Run a, Run b, boolean identical, double maxAbsDiff,
      int firstDifferentStep) {
    static Pair of(String what, Run a, Run b) {
      double max = 0;
      for (int i = 0; i < a.weights().length; i++) {
        max = Math.max(max, Math.abs(a.weights()[i] - b.weights()[i]));
      }
      int first = -1;
      for (int i = 0; i < a.losses().size(); i++) {
        if (Double.doubleToRawLongBits(a.losses().get(i))
            != Double.doubleToRawLongBits(b.losses().get(i))) {
          first = i + 1;
          break;
        }
      }
      return new Pair(what, a, b, a.digest().equals(b.digest()), max, first);
    }
  }

  static List<Spec> plan(Options o) {
    List<Spec> specs = new ArrayList<>();
    for (int t : o.threads()) {
      specs.add(new Spec(InitMethod.ZERO, 0, t, 1));
      specs.add(new Spec(InitMethod.ZERO, 0, t, 2));
    }
    for (long seed : o.seeds()) {
      specs.add(new Spec(o.baseline(), seed, 1, 1));
    }
    return specs;
  }

  /** Runs the experiment and writes its files into {@code s.out()}. */
  public static Outcome run(ExperimentSettings s, Options o, ExperimentListener listener)
      throws IOException, DatasetException, FinetuneException, DeviceUnavailableException,
      InvalidModelException {
    long t0 = System.nanoTime();
    DataSplits data = TrainingRuns.fashionMnist(s.data(), o.steps() * o.batch(), o.testLimit());
    if (data.train().size() < o.steps() * o.batch()) {
      throw new DatasetException(s.data(), data.train().size() + " training images, fewer"
          + " than " + o.steps() + " steps of " + o.batch());
    }
    List<Spec> plan = plan(o);
    ModelOptions mo = TrainingRuns.fashionMnistResNet18(o.width(), true);
    listener.info(String.format(Locale.ROOT, "%d runs of %d steps of %d images, ResNet-18 (width"
        + " x%s), %s", plan.size(), o.steps(), o.batch(), SummaryText.number(o.width()),
        s.device() == Device.CPU ? "CPU" : "device " + s.device()));
    listener.planned(plan.size(), (long) o.steps() * plan.size());
    List<Run> runs = new ArrayList<>();
    String provider = null;
    for (int i = 0; i < plan.size(); i++) {
      Spec spec = plan.get(i);
      listener.runStarted(i + 1, plan.size(), spec.label());
      Onnx.ModelProto model = TrainingRuns.initialized(CifarResNet.RESNET18, mo, spec.method(),
          spec.seed());
      FinetuneConfig config = FinetuneConfig.builder().epochs(1).batchSize(o.batch()).lr(o.lr())
          .schedule(LrSchedule.Kind.CONSTANT).warmupEpochs(1)
          .optimizer(OptimizerConfig.sgd(0.9, false, 1e-4)).device(s.device())
          .threads(spec.threads()).spinning(s.spinning()).seed(0).build();
      List<Double> losses = new ArrayList<>();
      TrainingListener steps = new TrainingListener() {
        @Override
        public void stepDone(int step, double loss, double meanLoss, double lr, double sps) {
          losses.add(loss);
        }
      };
      long r0 = System.nanoTime();
      Trainer.Result r = TrainingRuns.train(model, data, config, listener, steps);
      var last = r.last();
      provider = r.provider().describe();
      Run run = new Run(spec.method(), spec.seed(), spec.threads(), spec.repeat(),
          List.copyOf(losses), TrainingRuns.floatWeights(r.model()),
          TrainingRuns.weightsDigest(r.model()), last.testLoss(), 100 * last.testAccuracy(),
          (System.nanoTime() - r0) / 1e9);
      runs.add(run);
      listener.runDone(String.format(Locale.ROOT, "%s: last loss %.6f, test accuracy %.2f%%,"
          + " weights %s...", run.label(), losses.get(losses.size() - 1), run.testAccuracy(),
          run.digest().substring(0, 16)));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;

    List<Pair> pairs = new ArrayList<>();
    Run firstZero = null;
    for (int t : o.threads()) {
      List<Run> zs = runs.stream().filter(r -> r.method() == InitMethod.ZERO && r.threads() == t)
          .toList();
      pairs.add(Pair.of("ZerO with " + threads(t) + ", the same command twice", zs.get(0),
          zs.get(1)));
      if (firstZero == null) {
        firstZero = zs.get(0);
      } else {
        pairs.add(Pair.of("ZerO with " + threads(firstZero.threads()) + " against " + threads(t),
            firstZero, zs.get(0)));
      }
    }
    ResultTable points = new ResultTable("run", "method", "seed", "threads", "step", "loss");
    for (Run r : runs) {
      for (int k = 0; k < r.losses().size(); k++) {
        points.add(r.label(), r.method().optionName(), r.method().isRandom() ? r.seed() : "",
            r.threads(), k + 1, String.format(Locale.ROOT, "%.9g", r.losses().get(k)));
      }
    }
    ResultTable summary = new ResultTable("run", "last loss", "test loss", "test accuracy (%)",
        "weights SHA-256", "seconds");
    for (Run r : runs) {
      summary.add(r.label(), String.format(Locale.ROOT, "%.6f", r.losses().get(
          r.losses().size() - 1)), String.format(Locale.ROOT, "%.6f", r.testLoss()),
          String.format(Locale.ROOT, "%.2f", r.testAccuracy()), r.digest().substring(0, 16),
          String.format(Locale.ROOT, "%.1f", r.seconds()));
    }
    List<Run> seeds = runs.stream().filter(r -> r.method() == o.baseline()).toList();
    List<String> verdicts = verdicts(pairs, seeds);
    byte[] png = chart(o, runs);
    StringBuilder b = new StringBuilder();
    b.append("# Reproducibility").append(s.quick() ? " - quick run" : "").append("\n\n");
    b.append(String.format(Locale.ROOT, "ResNet-18 (BatchNorm, width x%s) on the first %d"
        + " Fashion-MNIST training images: %d steps of %d, SGD momentum 0.9, weight decay 1e-4, lr"
        + " %s reached by a linear warm-up over the run; the same batches in the same order for"
        + " every run; test set of %d images. ZerO runs twice per thread count, %s once per seed"
        + " (one thread).%n%n", SummaryText.number(o.width()), data.train().size(),
        o.steps(), o.batch(), SummaryText.number(o.lr()), data.test().size(),
        o.baseline().optionName()));
    b.append(summary.markdown()).append('\n');
    ResultTable compare = new ResultTable("runs compared", "bitwise identical",
        "largest weight difference", "first step whose loss differs");
    for (Pair p : pairs) {
      compare.add(p.what(), p.identical() ? "yes" : "no", p.maxAbsDiff() == 0 ? "0"
          : String.format(Locale.ROOT, "%.3g", p.maxAbsDiff()),
          p.firstDifferentStep() < 0 ? "none" : String.valueOf(p.firstDifferentStep()));
    }
    b.append(compare.markdown()).append('\n');
    SummaryText.chartVerdictsAndRunFacts(b, NAME, "training loss per step", verdicts, s, seconds,
        provider);
    var files = ExperimentFiles.write(s.out(), NAME, points, png, b.toString());
    return new Outcome(summary, files, verdicts, seconds);
  }

  static List<String> verdicts(List<Pair> pairs, List<Run> seeds) {
    List<String> v = new ArrayList<>();
    for (Pair p : pairs) {
      v.add(p.identical() ? p.what() + ": bitwise identical weights (SHA-256 "
          + p.a().digest().substring(0, 16) + "...) and losses"
          : String.format(Locale.ROOT, "%s: the runs differ (largest weight difference %.3g,"
              + " losses differ from step %d)", p.what(), p.maxAbsDiff(),
              p.firstDifferentStep()));
    }
    if (seeds.size() > 1) {
      List<Double> distances = new ArrayList<>();
      for (int i = 0; i < seeds.size(); i++) {
        for (int j = i + 1; j < seeds.size(); j++) {
          distances.add(relativeDistance(seeds.get(i).weights(), seeds.get(j).weights()));
        }
      }
      Stats d = Stats.of(distances);
      Stats acc = Stats.of(seeds.stream().map(Run::testAccuracy).toList());
      Stats loss = Stats.of(seeds.stream().map(r -> r.losses().get(r.losses().size() - 1))
          .toList());
      v.add(String.format(Locale.ROOT, "%s with %d seeds: trained weights %.3g apart on average"
          + " (relative L2 distance, pairs of seeds; min %.3g, max %.3g); test accuracy %s%%"
          + " (range %.2f points); last loss %s", seeds.get(0).method().optionName(),
          seeds.size(), d.mean(), d.min(), d.max(), acc.format(2), acc.max() - acc.min(),
          loss.format(4)));
    }
    return v;
  }

  static String threads(int n) {
    return n + (n == 1 ? " thread" : " threads");
  }

  /** {@code ||a - b|| / ((||a|| + ||b||) / 2)}. */
  static double relativeDistance(double[] a, double[] b) {
    double diff = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      diff += (a[i] - b[i]) * (a[i] - b[i]);
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    double scale = (Math.sqrt(na) + Math.sqrt(nb)) / 2;
    return scale == 0 ? 0 : Math.sqrt(diff) / scale;
  }

  private static byte[] chart(Options o, List<Run> runs) throws IOException {
    List<LineChart.Line> lines = new ArrayList<>();
    for (Run r : runs) {
      double[] x = new double[r.losses().size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
      }
      int colour = r.method() == InitMethod.ZERO ? o.threads().indexOf(r.threads())
          : 2 + o.seeds().indexOf(r.seed());
      lines.add(new LineChart.Line(r.label(), colour, r.method() == InitMethod.ZERO
          && r.repeat() == 2, x, r.losses().stream().mapToDouble(Double::doubleValue).toArray()));
    }
    return LineChart.png("Reproducibility: ResNet-18 (width x" + SummaryText.number(
        o.width()) + ") on Fashion-MNIST, training loss per step", "step",
        List.of(new LineChart.Panel("training loss", lines, Double.NaN, "", true)), 1000, 600);
  }
}
