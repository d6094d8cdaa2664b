package dev.zeroinit.cli;

import dev.zeroinit.init.HadamardScale;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.NormMode;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.init.RewriteJob;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.WriteOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init MODEL -o OUT}: the main job, and the entry point for the other commands. */
@Command(name = "zero-init",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    subcommands = {ModelsCommand.class},
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
        "4:I/O error (disk full, permission denied, missing folder, not enough memory)"})
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

  @Option(names = "--hadamard-scale", paramLabel = "paper|orthonormal", defaultValue = "paper",
      description = "Factor c of the Hadamard blocks: paper = 2^(-(m-1)/2) (Algorithm 1, default), "
          + "orthonormal = 2^(-m/2) (the authors' notebook).")
  String hadamardScale;

  @Option(names = "--ops", split = ",", paramLabel = "OP",
      description = "Weight-bearing ops to rewrite (default: Gemm,MatMul,Conv,ConvTranspose); "
          + "their biases follow them.")
  List<String> ops;

  @Option(names = "--include", paramLabel = "REGEX",
      description = "Rewrite only tensors whose name matches (found anywhere in the name; repeatable).")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude", paramLabel = "REGEX",
      description = "Leave tensors whose name matches untouched (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--norm", paramLabel = "reset|keep", defaultValue = "reset",
      description = "Normalisation layers: reset to fresh values (scale 1, bias 0, mean 0, var 1; "
          + "default) or keep.")
  String norm;

  @Option(names = "--method", paramLabel = "METHOD", defaultValue = "zero",
      description = "zero (default), partial-identity (the paper's ablation: no Hadamard), or a random "
          + "baseline: kaiming-normal, kaiming-uniform, xavier-normal, xavier-uniform, orthogonal "
          + "(fans from the same P x Q analysis; reproducible with --seed).")
  String method;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seed of the random baselines (default 0); ZerO uses no random numbers.")
  long seed;

  @Option(names = "--residual", paramLabel = "zero-last|plain",
      description = "Residual blocks (found on the graph): zero-last starts the last weight layer of "
          + "every branch at zero, so each block begins as the identity (default for zero and "
          + "partial-identity); plain treats branches like any other layer (default for the random "
          + "baselines).")
  String residual;

  @Option(names = "--external-data", paramLabel = "keep|single|inline", defaultValue = "keep",
      description = "Where tensor data goes: as the input had it (default), one file beside the model "
          + "(OUT.data), or all inside the model. Results above 2 GB always use external data.")
  String externalData;

  @Option(names = {"-f", "--force"}, description = "Replace the output if it exists.")
  boolean force;

  @Option(names = "--in-place", description = "Replace the input itself (atomically).")
  boolean inPlace;

  @Option(names = "--no-sync", description = "Do not force files to disk before renaming them into place.")
  boolean noSync;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
  boolean quiet;

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
    PlanOptions planOptions = planOptions();
    Path target = target();
    WriteOptions writeOptions = WriteOptions.defaults()
        .withLayout(parse("--external-data", externalData, "keep, single, inline",
            ExternalDataLayout::parse))
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
      AtomicFile.write(report, PlanReport.toJson(result, reportOptions(planOptions)));
    }
    out.flush();
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

  private PlanOptions planOptions() throws UsageException {
    HadamardScale scale = parse("--hadamard-scale", hadamardScale, "paper, orthonormal", HadamardScale::parse);
    NormMode normMode = parse("--norm", norm, "reset, keep", NormMode::parse);
    InitMethod initMethod = parse("--method", method, "zero, partial-identity, kaiming-normal, "
        + "kaiming-uniform, xavier-normal, xavier-uniform, orthogonal", InitMethod::parse);
    ResidualMode residualMode = residual == null
        ? PlanOptions.defaults().withMethod(initMethod, seed).residual()
        : parse("--residual", residual, "zero-last, plain", ResidualMode::parse);
    Set<String> opSet = new LinkedHashSet<>();
    if (ops == null || ops.isEmpty()) {
      opSet.addAll(PlanOptions.ALL_OPS);
    } else {
      for (String op : ops) {
        String canonical = PlanOptions.ALL_OPS.stream().filter(o -> o.equalsIgnoreCase(op.trim()))
            .findFirst().orElseThrow(() -> new UsageException("--ops: unknown op '" + op
                + "'; choose from Gemm, MatMul, Conv, ConvTranspose"));
        opSet.add(canonical);
      }
    }
    return new PlanOptions(scale, opSet, patterns("--include", include), patterns("--exclude", exclude),
        normMode, residualMode, initMethod, seed);
  }

  private static List<Pattern> patterns(String option, List<String> regexes) throws UsageException {
    List<Pattern> out = new ArrayList<>();
    for (String r : regexes) {
      try {
        out.add(Pattern.compile(r));
      } catch (PatternSyntaxException e) {
        throw new UsageException(option + ": invalid regular expression '" + r + "': " + e.getDescription());
      }
    }
    return out;
  }

  private interface Parser<T> {
    T parse(String s);
  }

  private static <T> T parse(String option, String value, String choices, Parser<T> parser)
      throws UsageException {
    try {
      return parser.parse(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + ": '" + value + "' is not one of " + choices);
    }
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

  private Map<String, Object> reportOptions(PlanOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", o.method().optionName());
    m.put("seed", o.seed());
    m.put("hadamardScale", o.scale().optionName());
    m.put("ops", new TreeSet<>(o.ops()));
    m.put("include", include);
    m.put("exclude", exclude);
    m.put("norm", o.norm().name().toLowerCase());
    m.put("residual", o.residual().optionName());
    m.put("externalData", externalData);
    return m;
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
