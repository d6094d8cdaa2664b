package dev.zeroinit.cli;

import dev.zeroinit.experiments.AccuracyExperiment;
import dev.zeroinit.experiments.DegeneracyExperiment;
import dev.zeroinit.experiments.ExperimentFiles;
import dev.zeroinit.experiments.ExperimentListener;
import dev.zeroinit.experiments.ExperimentSettings;
import dev.zeroinit.experiments.Outcome;
import dev.zeroinit.experiments.ReproducibilityExperiment;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zero-init experiment degeneracy|accuracy|reproducibility}: the paper's three claims, run on
 * Fashion-MNIST; each writes NAME.csv, NAME.png and NAME.md into {@code --out}.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = {"Reproduce the paper's claims on Fashion-MNIST; each experiment writes a CSV of every"
        + " measured point, a PNG chart and a Markdown summary into --out, and prints its table.",
        "--quick runs a reduced version in well under two minutes (the plumbing, not the science)."},
    subcommands = {ExperimentCommand.Degeneracy.class, ExperimentCommand.Accuracy.class,
        ExperimentCommand.Reproducibility.class})
final class ExperimentCommand implements Callable<Integer> {
  @Override
  public Integer call() throws UsageException {
    throw new UsageException("experiment: missing NAME, one of degeneracy, accuracy, reproducibility;"
        + " try 'zero-init experiment --help'");
  }

  /** What every experiment takes. */
  static final class Common {
    @Option(names = {"-o", "--out"}, paramLabel = "DIR",
        description = "Folder for NAME.csv, NAME.png and NAME.md (default: a folder named after the"
            + " experiment, in the current folder).")
    Path out;

    @Option(names = "--quick", description = "The reduced version: the mechanics in seconds, not the"
        + " paper's numbers (explicit options still apply on top).")
    boolean quick;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
        description = "Fashion-MNIST's IDX files (default: ${DEFAULT-VALUE}, Debian's"
            + " dataset-fashion-mnist).")
    Path data;

    @Option(names = {"-f", "--force"}, description = "Replace the experiment's files in --out.")
    boolean force;

    @Option(names = {"-q", "--quiet"}, description = "No progress and no per-run lines; the table at"
        + " the end and errors only.")
    boolean quiet;
  }

  /** Runs one experiment: checks, progress, the table and verdicts at the end, exit codes. */
  abstract static class Verb implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    Common common;

    @Mixin
    RuntimeOptions runtime;

    abstract String name();

    abstract Outcome run(ExperimentSettings settings, ExperimentListener listener) throws Exception;

    @Override
    public Integer call() throws Exception {
      Path out = common.out != null ? common.out : Path.of(name());
      ExperimentFiles.check(out, name(), common.force);
      VerifyRunner.requireRuntime();
      String command = "zero-init " + String.join(" ",
          spec.commandLine().getParseResult().originalArgs());
      ExperimentSettings settings = new ExperimentSettings(common.data, out, common.quick,
          runtime.device(), runtime.threads(), runtime.spin, command.strip());
      PrintWriter o = spec.commandLine().getOut();
      if (!common.quiet) {
        o.println("zero-init " + Version.get() + " experiment " + name()
            + (common.quick ? " (quick)" : "") + " on " + common.data);
        o.flush();
      }
      Outcome outcome;
      try (ExperimentProgress progress = ExperimentProgress.create(o, common.quiet,
          System.console() != null)) {
        outcome = run(settings, progress);
      } catch (IllegalArgumentException e) {
        throw new UsageException(name() + ": " + e.getMessage());
      } catch (FinetuneException e) {
        spec.commandLine().getErr().println("zero-init: experiment " + name() + ": " + e.getMessage());
        spec.commandLine().getErr().flush();
        return FinetuneCommand.failCode(e);
      } catch (DeviceUnavailableException e) {
        spec.commandLine().getErr().println("zero-init: --device cuda: CUDA cannot be used here: "
            + e.getMessage() + " (use --device auto to fall back to the CPU)");
        spec.commandLine().getErr().flush();
        return ExitCodes.DEVICE_UNAVAILABLE;
      }
      o.println();
      o.print(outcome.table().markdown());
      o.println();
      for (String v : outcome.verdicts()) {
        o.println("- " + v);
      }
      o.println(String.format(Locale.ROOT, "wrote %s (%.0f s)", String.join(", ",
          outcome.files().stream().map(Path::toString).toList()), outcome.seconds()));
      o.flush();
      return ExitCodes.OK;
    }
  }

  /** Parses {@code 1,2,3} into numbers. */
  static List<Long> longs(String option, String list) throws UsageException {
    List<Long> values = new ArrayList<>();
    for (String s : list.split(",")) {
      try {
        values.add(Long.parseLong(s.strip()));
      } catch (NumberFormatException e) {
        throw new UsageException(option + ": '" + s.strip() + "' is not a whole number (give a"
            + " comma-separated list such as 1,2,3)");
      }
    }
    return values;
  }

  static List<Integer> ints(String option, String list) throws UsageException {
    List<Integer> values = new ArrayList<>();
    for (long v : longs(option, list)) {
      if (v < 1 || v > Integer.MAX_VALUE) {
        throw new UsageException(option + ": " + v + " is out of range (1 or more)");
      }
      values.add((int) v);
    }
    return values;
  }

  static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  /** {@code zero-init experiment degeneracy}. */
  @Command(name = "degeneracy", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Theorem 1 (the paper's Figure 3): rank(W3 - I) of the MLP 784-784-n_h-n_h-10"
          + " during one epoch of SGD on Fashion-MNIST, for partial-identity, zero and kaiming-normal"
          + " at --compare-hidden, and for partial-identity at each --hidden; the chart draws the"
          + " input dimension 784.",
          "Full run (defaults): 6 runs of 937 iterations, about 8 minutes on 2 cores."})
  static final class Degeneracy extends Verb {
    @Option(names = "--hidden", paramLabel = "LIST",
        description = "The n_h partial identity runs at (default 256,512,1024,2048; quick 256,1024).")
    String hidden;

    @Option(names = "--compare-hidden", paramLabel = "N",
        description = "The n_h the three methods are compared at (default 2048; quick 1024).")
    Integer compareHidden;

    @Option(names = "--every", paramLabel = "N",
        description = "Iterations between rank measurements (default 50; quick 25).")
    Integer every;

    @Option(names = "--lr", paramLabel = "LR", description = "Plain SGD's learning rate (default 0.1).")
    Double lr;

    @Option(names = "--batch", paramLabel = "N", description = "Batch size (default 64).")
    Integer batch;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default 1).")
    Integer epochs;

    @Option(names = "--limit", paramLabel = "N",
        description = "Training images used (default 0: all 60,000; quick 6,400).")
    Integer limit;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of kaiming-normal (default 0).")
    Long seed;

    @Override
    String name() {
      return DegeneracyExperiment.NAME;
    }

    @Override
    Outcome run(ExperimentSettings s, ExperimentListener l) throws Exception {
      var base = common.quick ? DegeneracyExperiment.Options.quick()
          : DegeneracyExperiment.Options.full();
      var o = new DegeneracyExperiment.Options(or(compareHidden, base.compareHidden()),
          hidden == null ? base.sweepHidden() : ints("--hidden", hidden), base.methods(),
          or(lr, base.lr()), or(batch, base.batch()), or(epochs, base.epochs()),
          or(every, base.every()), or(limit, base.trainLimit()), base.testLimit(),
          or(seed, base.seed()));
      return DegeneracyExperiment.run(s, o, l);
    }
  }

  /** {@code zero-init experiment accuracy}. */
  @Command(name = "accuracy", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"ZerO against kaiming-normal and xavier-normal (one run per --seeds) with the"
          + " CIFAR-style ResNet-18 on Fashion-MNIST: SGD momentum 0.9, weight decay 1e-4, lr 0.1"
          + " with linear warm-up then cosine; ZerO runs twice (identical runs expected) and once"
          + " without warm-up. Table of test accuracy mean ± std, learning curves in one chart.",
          "Full run (defaults): 9 runs of 5 epochs of 20,000 images at width 1/8, about 13 minutes"
              + " on 2 cores."})
  static final class Accuracy extends Verb {
    @Option(names = "--width", paramLabel = "X",
        description = "ResNet-18 width multiplier (default 0.125: 8-16-32-64 channels; 1.0 is the"
            + " paper's 64-128-256-512; quick 0.0625).")
    Double width;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run (default 5; quick 2).")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Batch size (default 128; quick 64).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 0.1).")
    Double lr;

    @Option(names = "--warmup-epochs", paramLabel = "E",
        description = "Linear warm-up before the cosine decay (default 1).")
    Double warmup;

    @Option(names = "--seeds", paramLabel = "LIST",
        description = "Seeds of each random method (default 1,2,3; quick 1,2).")
    String seeds;

    @Option(names = "--methods", paramLabel = "LIST",
        description = "Random methods compared with ZerO (default kaiming-normal,xavier-normal).")
    String methods;

    @Option(names = "--zero-runs", paramLabel = "N",
        description = "How many times ZerO runs (default 2: the runs must be identical).")
    Integer zeroRuns;

    @Option(names = "--zero-residual", paramLabel = "zero-last|plain",
        description = "ZerO's residual scheme: zero-last (default: the last layer of each branch"
            + " zero, each block starts as the identity) or plain (every layer by the matrix rule).")
    String zeroResidual;

    @Option(names = "--no-batchnorm",
        description = "ResNet-18 without BatchNormalization (convolutions with biases), the regime"
            + " ZerO was designed for.")
    boolean noBatchNorm;

    @Option(names = "--skip-no-warmup",
        description = "Do not run ZerO without warm-up (by default it runs once, to show what warm-up"
            + " does).")
    boolean skipNoWarmup;

    @Option(names = "--limit", paramLabel = "N",
        description = "Training images used (default 20000; 0: all 60,000; quick 640).")
    Integer limit;

    @Option(names = "--test-limit", paramLabel = "N",
        description = "Test images evaluated after each epoch (default 0: all 10,000; quick 500).")
    Integer testLimit;

    @Override
    String name() {
      return AccuracyExperiment.NAME;
    }

    @Override
    Outcome run(ExperimentSettings s, ExperimentListener l) throws Exception {
      var base = common.quick ? AccuracyExperiment.Options.quick() : AccuracyExperiment.Options.full();
      List<InitMethod> baselines = base.baselines();
      if (methods != null) {
        baselines = new ArrayList<>();
        for (String m : methods.split(",")) {
          InitMethod im;
          try {
            im = InitMethod.parse(m);
          } catch (IllegalArgumentException e) {
            throw new UsageException("--methods: '" + m.strip() + "' is not one of kaiming-normal,"
                + " kaiming-uniform, xavier-normal, xavier-uniform, orthogonal");
          }
          if (!im.isRandom()) {
            throw new UsageException("--methods: " + im.optionName() + " is not a random method;"
                + " ZerO always runs");
          }
          baselines.add(im);
        }
      }
      var o = new AccuracyExperiment.Options(or(width, base.width()), or(epochs, base.epochs()),
          or(batch, base.batch()), or(lr, base.lr()), base.momentum(), base.weightDecay(),
          or(warmup, base.warmupEpochs()), baselines,
          seeds == null ? base.seeds() : longs("--seeds", seeds), or(zeroRuns, base.zeroRuns()),
          residual(), !noBatchNorm, !skipNoWarmup,
          or(limit, base.trainLimit()), or(testLimit, base.testLimit()));
      return AccuracyExperiment.run(s, o, l);
    }

    private ResidualMode residual() throws UsageException {
      if (zeroResidual == null) {
        return ResidualMode.ZERO_LAST;
      }
      try {
        return ResidualMode.parse(zeroResidual);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--zero-residual: '" + zeroResidual + "' is not one of zero-last,"
            + " plain");
      }
    }
  }

  /** {@code zero-init experiment reproducibility}. */
  @Command(name = "reproducibility", mixinStandardHelpOptions = true, sortOptions = false,
      description = {"Two ZerO runs of the same command, per ONNX Runtime thread count, compared bit"
          + " for bit after --steps steps of the small ResNet-18 on Fashion-MNIST (CPU); kaiming-normal"
          + " with several seeds, and how far apart they end.",
          "Full run (defaults): 7 runs of 200 steps, about 2 minutes on 2 cores."})
  static final class Reproducibility extends Verb {
    @Option(names = "--steps", paramLabel = "N", description = "Training steps per run (default 200;"
        + " quick 10).")
    Integer steps;

    @Option(names = "--thread-counts", paramLabel = "LIST",
        description = "ONNX Runtime thread counts ZerO runs twice with (default 1,2).")
    String threadCounts;

    @Option(names = "--seeds", paramLabel = "LIST",
        description = "Seeds of kaiming-normal (default 1,2,3; quick 1,2).")
    String seeds;

    @Option(names = "--width", paramLabel = "X",
        description = "ResNet-18 width multiplier (default 0.125; quick 0.0625).")
    Double width;

    @Option(names = "--batch", paramLabel = "N", description = "Batch size (default 64; quick 32).")
    Integer batch;

    @Override
    String name() {
      return ReproducibilityExperiment.NAME;
    }

    @Override
    Outcome run(ExperimentSettings s, ExperimentListener l) throws Exception {
      var base = common.quick ? ReproducibilityExperiment.Options.quick()
          : ReproducibilityExperiment.Options.full();
      var o = new ReproducibilityExperiment.Options(or(width, base.width()), or(steps, base.steps()),
          or(batch, base.batch()), base.lr(),
          threadCounts == null ? base.threads() : ints("--thread-counts", threadCounts),
          base.baseline(), seeds == null ? base.seeds() : longs("--seeds", seeds), base.testLimit());
      return ReproducibilityExperiment.run(s, o, l);
    }
  }
}
