package dev.zeroinit.cli;

import dev.zeroinit.init.HadamardScale;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.RewriteJob;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.WriteOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init MODEL -o OUT}: the main job, and the entry point for the other commands. */
@Command(name = "zero-init",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    subcommands = {ModelsCommand.class, VerifyCommand.class, BatchCommand.class, TrainGraphCommand.class,
        FinetuneCommand.class, EvalCommand.class, ExperimentCommand.class},
    description = {
        "Gives an ONNX model a deterministic ZerO initialization (Zhao, Schaefer, Anandkumar, TMLR 2022): "
            + "the weights of every Gemm, MatMul, Conv and ConvTranspose become identities, partial "
            + "identities or scaled Hadamard blocks, biases become zero, normalisation layers get fresh "
            + "values. The input is never modified; the output is written atomically.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, output exists without --force, ...)",
        "3:the input is not a valid model, or holds something refused (unsafe external data, ...)",
        "4:I/O error (disk full, permission denied, missing folder, not enough memory)",
        "5:--verify: a signal check failed (the output is written)",
        "6:batch: some models failed (listed); the others were done",
        "7:--verify --device cuda where CUDA cannot be used (the output is written)",
        "8:--verify: the result cannot run on this execution provider (the output is written)"})
public final class ZeroInitCommand implements Callable<Integer> {
  /** The metadata_props keys the tool records; namespaced, as ONNX reserves unqualified keys. */
  static final String META_VERSION = "dev.zeroinit.version";
  static final String META_OPTIONS = "dev.zeroinit.options";

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "The ONNX model to initialize.")
  Path model;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE",
      description = "Where to write the result. Refused if it exists, unless --force.")
  Path output;

  @Option(names = "--dry-run", description = "Print the plan (one row per tensor) and write nothing.")
  boolean dryRun;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the plan and summary as JSON.")
  Path report;

  /** The options that shape the rewrite (shared with {@code batch}). */
  @Mixin
  RewriteOptions rewrite;

  @Option(names = {"-f", "--force"}, description = "Replace the output if it exists.")
  boolean force;

  @Option(names = "--in-place", description = "Replace the input itself (atomically).")
  boolean inPlace;

  @Option(names = "--no-sync", description = "Do not force files to disk before renaming them into place.")
  boolean noSync;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
  boolean quiet;

  @Option(names = "--verify", description = "After writing, run the signal check on the result on ONNX Runtime "
      + "(the options below; inputs drawn with seed 0; see 'zero-init verify --help').")
  boolean verify;

  @Mixin
  VerifyOptions verifyOptions;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the tool with {@code args} and returns the exit code (for tests and main). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured picocli command line (output streams can be replaced by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ZeroInitCommand());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    // picocli hands only Exceptions to the handler; an Error thrown by a command (out of memory on a
    // huge model) would escape execute() as a stack trace with exit code 1
    CommandLine.IExecutionStrategy runLast = new CommandLine.RunLast();
    cl.setExecutionStrategy(parsed -> {
      try {
        return runLast.execute(parsed);
      } catch (OutOfMemoryError | StackOverflowError e) {
        return ErrorHandler.report(e, parsed.commandSpec().commandLine());
      }
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      ex.getCommandLine().getErr().println("zero-init: " + ex.getMessage());
      ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
          + " --help' for more information.");
      return ExitCodes.USAGE;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    if (model == null) {
      throw new UsageException("missing MODEL; try 'zero-init --help'");
    }
    List<String> verifyGiven = VerifyOptions.given(spec.commandLine().getParseResult());
    if (!verify && !verifyGiven.isEmpty()) {
      throw new UsageException(String.join(", ", verifyGiven) + ": needs --verify");
    }
    if (verify && dryRun) {
      throw new UsageException("--verify checks the written result; drop --dry-run");
    }
    PlanOptions planOptions = rewrite.planOptions();
    Path target = target();
    WriteOptions writeOptions = WriteOptions.defaults()
        .withLayout(rewrite.layout())
        .withOverwrite(force)
        .withInPlace(inPlace)
        .withDurable(!noSync);
    if (target != null && !inPlace && sameFile(target, model)) {
      throw new UsageException("the output " + target + " is the input; use --in-place to replace it");
    }
    if (target != null && !inPlace && !force && Files.exists(target)) {
      throw new UsageException(target + " exists; use --force to replace it");
    }
    checkReport(target);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put(META_VERSION, Version.get());
    metadata.put(META_OPTIONS, canonicalOptions(planOptions));
    RewriteJob.Result result = RewriteJob.run(model, target, planOptions, writeOptions, metadata);
    PrintWriter out = spec.commandLine().getOut();
    if (dryRun) {
      out.print(PlanTable.render(result.plan()));
      out.println("hadamard scale: " + planOptions.scale().optionName() + "; dry run, nothing written");
    } else if (!quiet) {
      printSummary(out, result);
    }
    if (report != null) {
      AtomicFile.write(report, PlanReport.toJson(result, rewrite.reportOptions(planOptions)));
    }
    out.flush();
    if (verify) {
      return VerifyRunner.run(spec.commandLine(), result.written().model(), result.plan(), verifyOptions, 0, quiet);
    }
    return ExitCodes.OK;
  }

  private Path target() throws UsageException {
    if (dryRun) {
      if (output != null || inPlace) {
        throw new UsageException("--dry-run writes nothing; drop -o/--in-place");
      }
      return null;
    }
    if (inPlace) {
      if (output != null && !output.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
        throw new UsageException("--in-place replaces the input; drop -o");
      }
      return model;
    }
    if (output == null) {
      throw new UsageException("missing -o/--output (or --dry-run, or --in-place)");
    }
    return output;
  }

  /**
   * Refuses a report path that would replace the input or the model output, or an existing file
   * without --force, and fails before any work when its folder is missing.
   */
  private void checkReport(Path target) throws UsageException, IOException {
    if (report == null) {
      return;
    }
    if (sameFile(report, model)) {
      throw new UsageException("--report " + report + " would replace the input model");
    }
    if (target != null && sameFile(report, target)) {
      throw new UsageException("--report " + report + " is also the model output; give it its own name");
    }
    Path folder = report.toAbsolutePath().normalize().getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw new NoSuchFileException(String.valueOf(folder), null,
          "the folder for the report " + report.getFileName() + " does not exist");
    }
    if (Files.exists(report) && !Files.isRegularFile(report)) {
      throw new UsageException("--report " + report + " is not a regular file (a folder, device or pipe?)");
    }
    if (!force && Files.exists(report)) {
      throw new UsageException("--report " + report + " exists; use --force to replace it");
    }
  }

  /** Whether two paths name the same file: the same file on disk, or the same normalized path. */
  private static boolean sameFile(Path a, Path b) {
    try {
      if (Files.exists(a) && Files.exists(b)) {
        return Files.isSameFile(a, b);
      }
    } catch (IOException e) {
      // fall back to comparing the paths
    }
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }

  /** The options that shape the result, in a fixed order, for the model's metadata (no paths). */
  static String canonicalOptions(PlanOptions o) {
    StringBuilder b = new StringBuilder();
    b.append("--method ").append(o.method().optionName());
    if (o.method().isRandom()) {
      b.append(" --seed ").append(o.seed());
    }
    b.append(" --hadamard-scale ").append(o.scale().optionName());
    b.append(" --ops ").append(String.join(",", new TreeSet<>(o.ops())));
    b.append(" --norm ").append(o.norm().name().toLowerCase());
    b.append(" --residual ").append(o.residual().optionName());
    for (Pattern p : o.include()) {
      b.append(" --include '").append(p.pattern()).append('\'');
    }
    for (Pattern p : o.exclude()) {
      b.append(" --exclude '").append(p.pattern()).append('\'');
    }
    return b.toString();
  }

  private void printSummary(PrintWriter out, RewriteJob.Result r) {
    out.println("zero-init " + Version.get() + ": " + model + " -> " + r.written().model());
    out.println("  " + PlanTable.summary(r.plan()));
    out.println("  hadamard scale: " + r.plan().options().scale().optionName()
        + (r.plan().options().scale() == HadamardScale.PAPER ? " (c = 2^(-(m-1)/2))" : " (c = 2^(-m/2))"));
    var skipped = r.plan().skipped();
    int shown = 0;
    for (var e : skipped) {
      if (shown++ == 8) {
        out.println("    ... and " + (skipped.size() - 8) + " more (see --dry-run)");
        break;
      }
      out.println("    skipped " + e.name() + ": " + e.skipReason());
    }
    for (String note : r.written().notes()) {
      out.println("  note: " + note);
    }
    out.println("  wrote " + Sizes.human(r.written().bytesWritten())
        + (r.written().dataFiles().isEmpty() ? "" : " (" + r.written().dataFiles().size()
            + " external data file" + (r.written().dataFiles().size() == 1 ? "" : "s") + ")")
        + " in " + Sizes.seconds(r.readNanos() + r.planNanos() + r.writeNanos()));
  }
}
