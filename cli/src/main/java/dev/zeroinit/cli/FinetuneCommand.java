package dev.zeroinit.cli;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.data.Augmentation;
import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.train.CurvesPlot;
import dev.zeroinit.finetune.train.EpochMetrics;
import dev.zeroinit.finetune.train.FinetuneConfig;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.LrSchedule;
import dev.zeroinit.finetune.train.MetricsCsv;
import dev.zeroinit.finetune.train.TrainedModel;
import dev.zeroinit.finetune.train.Trainer;
import dev.zeroinit.finetune.train.TrainingListener;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init finetune MODEL --data PATH -o OUT}: trains the model on ONNX Runtime. */
@Command(name = "finetune", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Fine-tune MODEL on ONNX Runtime and write it with the trained weights.",
        "",
        "Builds the model's training-step graph (forward, loss, reverse-mode gradient and optimizer update "
            + "as standard ONNX ops) and runs it once per batch, feeding each step's output tensors to the "
            + "next. The learning rate warms up linearly over --warmup-epochs (essential for ZerO, whose "
            + "weights mostly start at zero), then follows --schedule. The test set is evaluated after every "
            + "epoch. OUT is the original graph with the trained weights and normalisation statistics, "
            + "written atomically; 'zero-init eval OUT --data PATH' reproduces its test accuracy.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, output exists without --force, data that does not fit the model, "
            + "a checkpoint of another run)",
        "3:the model cannot be trained (an op without a derivative rule, ...), or the data or checkpoint is "
            + "not valid",
        "4:I/O error",
        "5:training diverged (the loss became NaN or infinite)",
        "7:--device cuda where CUDA cannot be used",
        "8:ONNX Runtime cannot run the training step on this execution provider"})
final class FinetuneCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to train (for example a ZerO-"
      + "initialised one).")
  Path model;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true,
      description = "Where to write the trained model. Refused if it exists, unless --force.")
  Path output;

  @Mixin
  DataSourceOptions dataSource;

  @Option(names = "--crop-pad", paramLabel = "N", defaultValue = "0",
      description = "Augmentation: random crops of the image padded by N pixels (default 0: none).")
  int cropPad;

  @Option(names = "--flip", description = "Augmentation: flip half of the images left-right.")
  boolean flip;

  @Option(names = "--epochs", paramLabel = "N", defaultValue = "10", description = "Epochs (default 10).")
  int epochs;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
      description = "Samples per step (default 64); a last partial batch of an epoch is left out.")
  int batch;

  @Option(names = "--eval-batch", paramLabel = "N", defaultValue = "0",
      description = "Samples per evaluation run (default: --batch).")
  int evalBatch;

  @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.1", description = "Base learning rate "
      + "(default 0.1, the paper's).")
  double lr;

  @Option(names = "--warmup-epochs", paramLabel = "E", defaultValue = "5",
      description = "Linear warm-up from lr/steps to lr over E epochs (fractions allowed; default 5, the "
          + "paper's ImageNet setting; 0 for none).")
  double warmupEpochs;

  @Option(names = "--schedule", paramLabel = "cosine|step|constant", defaultValue = "cosine",
      description = "After the warm-up: cosine (to 0 at the end, default), step (x --gamma every "
          + "--step-size epochs) or constant.")
  String schedule;

  @Option(names = "--step-size", paramLabel = "E", defaultValue = "30",
      description = "--schedule step: epochs between decays (default 30).")
  double stepSize;

  @Option(names = "--gamma", paramLabel = "G", defaultValue = "0.1",
      description = "--schedule step: the factor of each decay (default 0.1).")
  double gamma;

  @Option(names = "--optimizer", paramLabel = "sgd|adamw", defaultValue = "sgd",
      description = "sgd (PyTorch's SGD, default) or adamw (PyTorch's AdamW).")
  String optimizer;

  @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9", description = "SGD momentum "
      + "(default 0.9).")
  double momentum;

  @Option(names = "--nesterov", description = "SGD with Nesterov momentum.")
  boolean nesterov;

  @Option(names = "--weight-decay", paramLabel = "W",
      description = "Weight decay: L2 for SGD (default 1e-4, the paper's), decoupled for AdamW (default "
          + "0.01, PyTorch's).")
  Double weightDecay;

  @Option(names = "--betas", paramLabel = "B1,B2", defaultValue = "0.9,0.999",
      description = "AdamW's moment decays (default 0.9,0.999).")
  String betas;

  @Option(names = "--eps", paramLabel = "E", defaultValue = "1e-8", description = "AdamW's epsilon "
      + "(default 1e-8).")
  double eps;

  @Option(names = "--loss", paramLabel = "ce|mse|lm", defaultValue = "ce",
      description = "ce: cross-entropy on class labels (default); mse: mean squared error on regression "
          + "targets; lm: next-token cross-entropy (int64 token inputs [N,S], targets [N,S]).")
  String loss;

  @Option(names = "--freeze", paramLabel = "REGEX",
      description = "Do not train the initializers whose name this pattern finds (anywhere in the name).")
  String freeze;

  @Option(names = "--output-name", paramLabel = "NAME",
      description = "The model output the loss reads (default: its first).")
  String outputName;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
      description = "Seed of the shuffling and the augmentation (default 0).")
  long seed;

  @Mixin
  RuntimeOptions runtime;

  @Option(names = "--metrics", paramLabel = "FILE.csv",
      description = "Write epoch, step, lr, train loss and accuracy, test loss and accuracy, samples/s per "
          + "epoch as CSV (rewritten after every epoch).")
  Path metrics;

  @Option(names = "--plot", paramLabel = "FILE.png",
      description = "Draw loss and accuracy per epoch (rewritten after every epoch).")
  Path plot;

  @Option(names = "--checkpoint-dir", paramLabel = "DIR",
      description = "Write a checkpoint (parameters, optimizer state, epoch, data position) to DIR/"
          + "last.ckpt after every epoch, atomically.")
  Path checkpointDir;

  @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint-dir (exactly: the "
      + "same losses as an uninterrupted run); start afresh when there is none yet.")
  boolean resume;

  @Option(names = {"-f", "--force"}, description = "Replace the output, --metrics and --plot if they exist.")
  boolean force;

  @Option(names = "--no-sync", description = "Do not force the model to disk before renaming it into place.")
  boolean noSync;

  @Option(names = {"-q", "--quiet"}, description = "No progress and no per-epoch lines; errors only.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    FinetuneConfig config = config();
    Augmentation augmentation;
    try {
      augmentation = new Augmentation(cropPad, flip);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--crop-pad: " + e.getMessage());
    }
    checkOutputs();
    DataOptions dataOptions = dataSource.options(dataSource.normalization()).withAugmentation(augmentation)
        .withSeed(seed);
    VerifyRunner.requireRuntime();
    PrintWriter out = spec.commandLine().getOut();
    try (OnnxModel source = OnnxModel.read(model)) {
      var forward = source.materializedProto();
      DataSplits data = DataLoader.load(dataSource.data, dataOptions);
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put(ZeroInitCommand.META_VERSION, Version.get());
      metadata.put(TrainedModel.META_OPTIONS, config.canonical() + dataOptionsString(dataOptions));
      if (!quiet) {
        out.println("zero-init " + Version.get() + " finetune: " + model + " on " + dataSource.data);
        if (config.warmupEpochs() >= config.epochs()) {
          out.println("  note: the warm-up (" + fmt(config.warmupEpochs()) + " epochs) covers the whole run;"
              + " --warmup-epochs sets it");
        }
        out.flush();
      }
      Trainer.Result result;
      try (FinetuneProgress progress = FinetuneProgress.create(out, quiet, System.console() != null)) {
        TrainingListener listener = new Outputs(progress);
        result = Trainer.train(new Trainer.Run(source, forward, data, dataOptions, config), metadata,
            listener);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      WriteResult written = ModelWriter.write(source, result.model(), output,
          WriteOptions.defaults().withOverwrite(force).withDurable(!noSync));
      writeCurves(result.history());
      if (!quiet) {
        EpochMetrics last = result.last();
        String test = last == null || Double.isNaN(last.testLoss()) ? "" : Double.isNaN(last.testAccuracy())
            ? String.format(Locale.ROOT, ": test loss %.4f", last.testLoss())
            : String.format(Locale.ROOT, ": test accuracy %.2f%%, loss %.4f", 100 * last.testAccuracy(),
                last.testLoss());
        out.println("wrote " + written.model() + test + " after " + result.history().size() + " epoch"
            + (result.history().size() == 1 ? "" : "s") + " (" + Sizes.human(written.bytesWritten()) + ")");
        for (String note : written.notes()) {
          out.println("  note: " + note);
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (FinetuneException e) {
      return fail(e);
    } catch (DeviceUnavailableException e) {
      spec.commandLine().getErr().println("zero-init: --device cuda: CUDA cannot be used here: " + e.getMessage()
          + " (use --device auto to fall back to the CPU)");
      spec.commandLine().getErr().flush();
      return ExitCodes.DEVICE_UNAVAILABLE;
    }
  }

  /** Writes --metrics and --plot (after every epoch, and at the end). */
  private void writeCurves(List<EpochMetrics> history) throws IOException {
    if (metrics != null) {
      AtomicFile.write(metrics, MetricsCsv.bytes(history));
    }
    if (plot != null && !history.isEmpty()) {
      AtomicFile.write(plot, CurvesPlot.png("Fine-tuning " + model.getFileName(), history, 1000, 700));
    }
  }

  /** The progress listener, plus the metrics and plot files rewritten after each epoch. */
  private final class Outputs implements TrainingListener {
    private final TrainingListener progress;
    private final List<EpochMetrics> history = new ArrayList<>();

    Outputs(TrainingListener progress) {
      this.progress = progress;
    }

    @Override
    public void info(String line) {
      progress.info(line);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps, int batchSize) {
      progress.epochStarted(epoch, epochs, steps, batchSize);
    }

    @Override
    public void stepDone(int step, double loss, double meanLoss, double lr, double samplesPerSecond) {
      progress.stepDone(step, loss, meanLoss, lr, samplesPerSecond);
    }

    @Override
    public void evaluating() {
      progress.evaluating();
    }

    @Override
    public void resumed(List<EpochMetrics> done) {
      progress.resumed(done);
      history.addAll(done);
    }

    @Override
    public void epochDone(EpochMetrics m, int epochs) {
      progress.epochDone(m, epochs);
      history.add(m);
      try {
        writeCurves(history);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void checkpointWritten(Path file, long bytes) {
      progress.checkpointWritten(file, bytes);
    }
  }

  static int failCode(FinetuneException e) {
    return switch (e.kind()) {
      case USAGE -> ExitCodes.USAGE;
      case INVALID_INPUT -> ExitCodes.INVALID_MODEL;
      case NOT_RUNNABLE -> ExitCodes.NOT_RUNNABLE;
      case DIVERGED -> ExitCodes.CHECK_FAILED;
    };
  }

  private int fail(FinetuneException e) {
    spec.commandLine().getErr().println("zero-init: " + message(e, model));
    spec.commandLine().getErr().flush();
    return failCode(e);
  }

  /** The one line for a failure: model problems are prefixed with the model's path. */
  static String message(FinetuneException e, Path model) {
    String msg = e.getMessage();
    return msg.startsWith("cannot be trained") || msg.startsWith("ONNX Runtime") ? model + ": " + msg : msg;
  }

  private FinetuneConfig config() throws UsageException {
    LossKind lossKind;
    OptimizerConfig opt;
    LrSchedule.Kind sched;
    Pattern frozen = null;
    lossKind = parse("--loss", () -> LossKind.parse(loss));
    sched = parse("--schedule", () -> LrSchedule.Kind.parse(schedule));
    OptimizerConfig.Kind kind = parse("--optimizer", () -> OptimizerConfig.Kind.parse(optimizer));
    if (kind == OptimizerConfig.Kind.ADAMW && nesterov) {
      throw new UsageException("--nesterov is for --optimizer sgd");
    }
    try {
      if (kind == OptimizerConfig.Kind.SGD) {
        opt = OptimizerConfig.sgd(momentum, nesterov, weightDecay == null ? 1e-4 : weightDecay);
      } else {
        String[] b = betas.split(",");
        if (b.length != 2) {
          throw new NumberFormatException();
        }
        opt = OptimizerConfig.adamw(Double.parseDouble(b[0].trim()), Double.parseDouble(b[1].trim()), eps,
            weightDecay == null ? 0.01 : weightDecay);
      }
    } catch (NumberFormatException e) {
      throw new UsageException("--betas: '" + betas + "' is not two numbers B1,B2");
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    try {
      if (freeze != null) {
        frozen = Pattern.compile(freeze);
      }
    } catch (PatternSyntaxException e) {
      throw new UsageException("--freeze: '" + freeze + "' is not a regular expression ("
          + e.getDescription() + ")");
    }
    if (resume && checkpointDir == null) {
      throw new UsageException("--resume needs --checkpoint-dir");
    }
    try {
      return FinetuneConfig.builder().epochs(epochs).batchSize(batch).evalBatchSize(evalBatch).lr(lr)
          .schedule(sched).warmupEpochs(warmupEpochs).stepSizeEpochs(stepSize).gamma(gamma).loss(lossKind)
          .optimizer(opt).freeze(frozen).output(outputName).device(runtime.device()).threads(runtime.threads())
          .spinning(runtime.spin).seed(seed).checkpointDir(checkpointDir).resume(resume).build();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private static <T> T parse(String option, java.util.function.Supplier<T> parser) throws UsageException {
    try {
      return parser.get();
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + ": " + e.getMessage());
    }
  }

  /** Refuses outputs that would replace the input or each other, or exist without --force. */
  private void checkOutputs() throws UsageException, IOException {
    if (same(output, model)) {
      throw new UsageException("the output " + output + " is the input model; give it another name");
    }
    checkNew(output, "the output");
    for (Path p : new Path[] {metrics, plot}) {
      if (p == null) {
        continue;
      }
      String what = p == metrics ? "--metrics " + p : "--plot " + p;
      if (same(p, model) || same(p, output) || (metrics != null && plot != null && same(metrics, plot))) {
        throw new UsageException(what + " would replace the model or another output; give it its own name");
      }
      checkNew(p, what);
    }
    if (checkpointDir != null && Files.exists(checkpointDir) && !Files.isDirectory(checkpointDir)) {
      throw new UsageException("--checkpoint-dir " + checkpointDir + " is not a folder");
    }
  }

  private void checkNew(Path p, String what) throws UsageException, IOException {
    Path folder = p.toAbsolutePath().normalize().getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw new NoSuchFileException(String.valueOf(folder), null, "the folder for " + p.getFileName()
          + " does not exist");
    }
    if (Files.exists(p) && !Files.isRegularFile(p)) {
      throw new UsageException(what + " " + (what.contains(p.toString()) ? "" : p + " ")
          + "is not a regular file (a folder, device or pipe?)");
    }
    if (!force && Files.exists(p)) {
      throw new UsageException((what.contains(p.toString()) ? what : what + " " + p)
          + " exists; use --force to replace it");
    }
  }

  private static boolean same(Path a, Path b) {
    try {
      if (Files.exists(a) && Files.exists(b)) {
        return Files.isSameFile(a, b);
      }
    } catch (IOException e) {
      // compare the paths
    }
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }

  private static String dataOptionsString(DataOptions d) {
    StringBuilder b = new StringBuilder();
    if (d.normalization() != null) {
      b.append(" --normalize ").append(d.normalization());
    }
    if (d.augmentation().cropPadding() > 0) {
      b.append(" --crop-pad ").append(d.augmentation().cropPadding());
    }
    if (d.augmentation().horizontalFlip()) {
      b.append(" --flip");
    }
    if (d.limit() > 0) {
      b.append(" --limit ").append(d.limit());
    }
    return b.toString();
  }

  static String fmt(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }
}
