package dev.zeroinit.experiments;

import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.DatasetException;
import dev.zeroinit.finetune.train.FinetuneConfig;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.LrSchedule;
import dev.zeroinit.finetune.train.ObservedTensor;
import dev.zeroinit.finetune.train.Trainer;
import dev.zeroinit.finetune.train.TrainingListener;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.models.Mlp;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The paper's Theorem 1 (its Figure 3): train the MLP 784-784-n_h-n_h-10 on Fashion-MNIST with plain
 * SGD and measure, every few iterations, the numerical rank of {@code W3 - I}, where W3 is the
 * n_h x n_h layer. The claim: from the partial identity the rank stays at or below the input
 * dimension 784 whatever n_h is (the extra dimensions stay degenerate); from ZerO (Hadamard
 * transform in the dimension-increasing layer) it goes above 784. Runs partial identity, ZerO and
 * Kaiming at one width (the right panel), and partial identity at several widths (the left panel).
 */
public final class DegeneracyExperiment {
  public static final String NAME = "degeneracy";
  /** The input dimension of Fashion-MNIST images, the bound of Theorem 1. */
  public static final int INPUT_DIM = Mlp.IN_FEATURES;

  private DegeneracyExperiment() {}

  /**
   * The experiment's parameters.
   *
   * @param compareHidden n_h of the comparison of {@code methods}
   * @param sweepHidden the n_h values partial identity runs at
   * @param methods the methods compared at {@code compareHidden}
   * @param lr plain SGD's learning rate (no momentum, no weight decay, constant)
   * @param batch the batch size
   * @param epochs epochs over the training images
   * @param every iterations between two rank measurements (and one before the first)
   * @param trainLimit training images used (0: all 60,000)
   * @param testLimit test images evaluated at the end (0: all 10,000)
   * @param seed the seed of the random method(s) and of the shuffling
   */
  public record Options(int compareHidden, List<Integer> sweepHidden, List<InitMethod> methods,
      double lr, int batch, int epochs, int every, int trainLimit, int testLimit, long seed) {
    public Options {
      sweepHidden = List.copyOf(sweepHidden);
      methods = List.copyOf(methods);
      if (compareHidden < 1 || sweepHidden.stream().anyMatch(h -> h < 1)) {
        throw new IllegalArgumentException("--hidden widths must be at least 1");
      }
      if (every < 1 || batch < 1 || epochs < 1) {
        throw new IllegalArgumentException("--every, --batch and --epochs must be at least 1");
      }
    }

    /** The paper's setting: n_h 2048 compared, 256 to 2048 swept, lr 0.1, batch 64, one epoch. */
    public static Options full() {
      return new Options(2048, List.of(256, 512, 1024, 2048), List.of(InitMethod.PARTIAL_IDENTITY,
          InitMethod.ZERO, InitMethod.KAIMING_NORMAL), 0.1, 64, 1, 50, 0, 0, 0);
    }

    /** The plumbing in seconds: n_h 1024 compared, 256 swept, 100 iterations. */
    public static Options quick() {
      return new Options(1024, List.of(256, 1024), full().methods(), 0.1, 64, 1, 25, 6400, 1000,
          0);
    }
  }

  /** One training run: its method, width, and the rank after each measured iteration. */
  public record Run(InitMethod method, int hidden, List<Long> iterations, List<Integer> ranks,
      List<Double> largest, List<Double> tolerances, double testAccuracy, double seconds) {
    /** The highest rank measured. */
    public int maxRank() {
      return ranks.stream().mapToInt(Integer::intValue).max().orElse(-1);
    }

    String label() {
      return method.optionName() + ", n_h " + hidden;
    }
  }

  /** The runs the options ask for: the comparison first, then the sweep's other widths. */
  static List<Map.Entry<InitMethod, Integer>> plan(Options o) {
    Set<Map.Entry<InitMethod, Integer>> runs = new LinkedHashSet<>();
    for (InitMethod m : o.methods()) {
      runs.add(Map.entry(m, o.compareHidden()));
    }
    for (int h : o.sweepHidden()) {
      runs.add(Map.entry(InitMethod.PARTIAL_IDENTITY, h));
    }
    return new ArrayList<>(runs);
  }

  /** Runs the experiment and writes its files into {@code s.out()}. */
  public static Outcome run(ExperimentSettings s, Options o, ExperimentListener listener)
      throws IOException, DatasetException, FinetuneException, DeviceUnavailableException,
      InvalidModelException {
    long t0 = System.nanoTime();
    DataSplits data = TrainingRuns.fashionMnist(s.data(), o.trainLimit(), o.testLimit());
    List<Map.Entry<InitMethod, Integer>> plan = plan(o);
    long stepsPerRun = TrainingRuns.steps(data.train().size(), o.batch(), o.epochs());
    listener.info(String.format(Locale.ROOT, "%d runs of %d iterations (batch %d) on %d training"
        + " images; rank(W3 - I) every %d iterations", plan.size(), stepsPerRun, o.batch(),
        data.train().size(), o.every()));
    listener.planned(plan.size(), stepsPerRun * plan.size());
    FinetuneConfig config = FinetuneConfig.builder().epochs(o.epochs()).batchSize(o.batch())
        .lr(o.lr()).schedule(LrSchedule.Kind.CONSTANT).warmupEpochs(0)
        .optimizer(OptimizerConfig.sgd(0, false, 0)).device(s.device()).threads(s.threads())
        .spinning(s.spinning()).seed(o.seed()).build();
    List<Run> runs = new ArrayList<>();
    String provider = null;
    for (int i = 0; i < plan.size(); i++) {
      InitMethod method = plan.get(i).getKey();
      int hidden = plan.get(i).getValue();
      listener.runStarted(i + 1, plan.size(), method.optionName() + ", n_h " + hidden);
      Onnx.ModelProto model = TrainingRuns.initialized(Mlp.NAME,
          ModelOptions.DEFAULTS.withHidden(hidden), method, o.seed());
      String w3 = thirdLayerWeight(model);
      RankProbe probe = new RankProbe(w3, hidden, o.every(), stepsPerRun, listener);
      long r0 = System.nanoTime();
      Trainer.Result result = TrainingRuns.train(model, data, config, listener, probe);
      provider = result.provider().describe();
      Run run = new Run(method, hidden, List.copyOf(probe.iterations), List.copyOf(probe.ranks),
          List.copyOf(probe.largest), List.copyOf(probe.tolerances),
          TrainingRuns.lastTestAccuracyPercent(result), (System.nanoTime() - r0) / 1e9);
      runs.add(run);
      listener.runDone(String.format(Locale.ROOT, "%s: rank(W3 - I) %d at the start, max %d, %d at"
          + " the end; test accuracy %.2f%%", run.label(), run.ranks().get(0), run.maxRank(),
          run.ranks().get(run.ranks().size() - 1), run.testAccuracy()));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    ResultTable points = new ResultTable("method", "hidden", "iteration", "rank",
        "largest_singular_value", "tolerance");
    for (Run r : runs) {
      for (int k = 0; k < r.iterations().size(); k++) {
        points.add(r.method().optionName(), r.hidden(), r.iterations().get(k), r.ranks().get(k),
            String.format(Locale.ROOT, "%.6g", r.largest().get(k)),
            String.format(Locale.ROOT, "%.3g", r.tolerances().get(k)));
      }
    }
    ResultTable summary = new ResultTable("method", "n_h", "rank at start", "max rank",
        "rank at end", "max rank > 784", "test accuracy", "seconds");
    for (Run r : runs) {
      summary.add(r.method().optionName(), r.hidden(), r.ranks().get(0), r.maxRank(),
          r.ranks().get(r.ranks().size() - 1), r.maxRank() > INPUT_DIM ? "yes" : "no",
          String.format(Locale.ROOT, "%.2f%%", r.testAccuracy()),
          String.format(Locale.ROOT, "%.0f", r.seconds()));
    }
    List<String> verdicts = verdicts(o, runs);
    byte[] png = chart(o, runs);
    String md = markdown(s, o, data, runs, summary, verdicts, seconds, provider);
    var files = ExperimentFiles.write(s.out(), NAME, points, png, md);
    return new Outcome(summary, files, verdicts, seconds);
  }

  /** The weight of the third Gemm/MatMul: W3, the n_h x n_h layer of the MLP. */
  static String thirdLayerWeight(Onnx.ModelProto model) {
    Set<String> inits = new LinkedHashSet<>();
    model.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
    int seen = 0;
    for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
      if (n.getOpType().equals("Gemm") || n.getOpType().equals("MatMul")) {
        if (++seen == 3) {
          for (String in : n.getInputList()) {
            if (inits.contains(in)) {
              return in;
            }
          }
        }
      }
    }
    throw new IllegalStateException("the MLP has no third weight layer");
  }

  /** Theorem 1, measured: one line per claim. */
  static List<String> verdicts(Options o, List<Run> runs) {
    List<String> v = new ArrayList<>();
    List<Run> pi = runs.stream().filter(r -> r.method() == InitMethod.PARTIAL_IDENTITY).toList();
    if (!pi.isEmpty()) {
      boolean below = pi.stream().allMatch(r -> r.maxRank() <= INPUT_DIM);
      StringBuilder b = new StringBuilder("partial identity: max rank(W3 - I) ");
      for (int i = 0; i < pi.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(pi.get(i).maxRank()).append(" at n_h ")
            .append(pi.get(i).hidden());
      }
      b.append(below ? " - never above the input dimension 784, as Theorem 1 says"
          : " - above 784 at some width, against Theorem 1");
      v.add(b.toString());
    }
    for (Run r : runs) {
      if (r.method() == InitMethod.ZERO) {
        v.add(String.format(Locale.ROOT, "ZerO: max rank(W3 - I) %d at n_h %d - %s", r.maxRank(),
            r.hidden(), r.hidden() <= INPUT_DIM ? "n_h is not above 784, so the claim cannot show"
                : r.maxRank() > INPUT_DIM ? "above 784: the Hadamard transform breaks the"
                    + " degeneracy, as the paper says" : "not above 784: not reproduced at this"
                    + " length of training"));
      }
    }
    return v;
  }

  private static byte[] chart(Options o, List<Run> runs) throws IOException {
    List<LineChart.Line> compare = new ArrayList<>();
    List<LineChart.Line> sweep = new ArrayList<>();
    for (Run r : runs) {
      if (r.hidden() == o.compareHidden() && o.methods().contains(r.method())) {
        compare.add(new LineChart.Line(r.method().optionName(), o.methods().indexOf(r.method()),
            false, xs(r), ys(r)));
      }
    }
    for (int h : o.sweepHidden()) { // in the order the user gave the widths
      for (Run r : runs) {
        if (r.method() == InitMethod.PARTIAL_IDENTITY && r.hidden() == h) {
          sweep.add(new LineChart.Line("partial identity, n_h " + h,
              3 + o.sweepHidden().indexOf(h), false, xs(r), ys(r)));
        }
      }
    }
    List<LineChart.Panel> panels = new ArrayList<>();
    if (!compare.isEmpty()) {
      panels.add(new LineChart.Panel("rank(W3 - I), n_h " + o.compareHidden(), compare, INPUT_DIM,
          "input dimension 784", true));
    }
    if (!sweep.isEmpty()) {
      panels.add(new LineChart.Panel("rank(W3 - I), partial identity", sweep, INPUT_DIM,
          "input dimension 784", true));
    }
    return LineChart.png("Degeneracy (Theorem 1): MLP 784-784-n_h-n_h-10 on Fashion-MNIST, SGD lr "
        + o.lr() + ", batch " + o.batch(), "iteration", panels, 1000, 900);
  }

  private static double[] xs(Run r) {
    return r.iterations().stream().mapToDouble(Long::doubleValue).toArray();
  }

  private static double[] ys(Run r) {
    return r.ranks().stream().mapToDouble(Integer::doubleValue).toArray();
  }

  private static String markdown(ExperimentSettings s, Options o, DataSplits data, List<Run> runs,
      ResultTable summary, List<String> verdicts, double seconds, String provider) {
    StringBuilder b = new StringBuilder();
    b.append("# Degeneracy (the paper's Theorem 1)").append(s.quick() ? " - quick run" : "")
        .append("\n\n");
    b.append(String.format(Locale.ROOT, "MLP 784-784-n_h-n_h-10 (ReLU, no biases) on Fashion-MNIST"
        + " (%d training images, %d test images), plain SGD lr %s, batch %d, %d epoch(s); every %d"
        + " iterations the numerical rank of W3 - I (W3 the n_h x n_h layer): singular values above"
        + " sigma_max * n_h * 2^-23, as torch.linalg.matrix_rank counts for float32.%n%n",
        data.train().size(), data.test().size(), SummaryText.number(o.lr()), o.batch(), o.epochs(), o.every()));
    b.append(summary.markdown()).append('\n');
    SummaryText.chartVerdictsAndRunFacts(b, NAME, "rank of W3 - I against iteration", verdicts,
        s, seconds, provider);
    return b.toString();
  }

  /** Measures rank(W3 - I) before the first iteration and every {@code every} iterations. */
  private static final class RankProbe implements TrainingListener {
    private final String weight;
    private final int n;
    private final int every;
    private final long last;
    private final ExperimentListener listener;
    final List<Long> iterations = new ArrayList<>();
    final List<Integer> ranks = new ArrayList<>();
    final List<Double> largest = new ArrayList<>();
    final List<Double> tolerances = new ArrayList<>();

    RankProbe(String weight, int n, int every, long last, ExperimentListener listener) {
      this.weight = weight;
      this.n = n;
      this.every = every;
      this.last = last;
      this.listener = listener;
    }

    @Override
    public Set<String> observe(long step) {
      return step % every == 0 || step == last ? Set.of(weight) : Set.of();
    }

    @Override
    public void observed(long step, Map<String, ObservedTensor> values) {
      ObservedTensor t = values.get(weight);
      if (t == null) {
        throw new IllegalStateException("the step graph does not carry " + weight);
      }
      double[] w = new double[t.size()];
      for (int i = 0; i < w.length; i++) {
        w[i] = t.get(i);
      }
      NumericalRank.Result r = NumericalRank.ofDifferenceFromIdentity(w, n,
          NumericalRank.FLOAT32_EPS);
      iterations.add(step);
      ranks.add(r.rank());
      largest.add(r.largest());
      tolerances.add(r.tolerance());
      listener.status("iteration " + step + ": rank(W3 - I) " + r.rank());
    }
  }
}
