package dev.zeroinit.cli;

import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.batch.AfterRewrite;
import dev.zeroinit.init.batch.BatchOptions;
import dev.zeroinit.init.batch.BatchResult;
import dev.zeroinit.init.batch.BatchRunner;
import dev.zeroinit.init.batch.ModelOutcome;
import dev.zeroinit.init.batch.Shard;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.ExternalDataLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init batch INDIR -o OUTDIR}: every model under a folder, each on its own. */
@Command(name = "batch", mixinStandardHelpOptions = true, versionProvider = Version.class,
    sortOptions = false, usageHelpAutoWidth = true,
    description = {
        "Rewrites every .onnx file under INDIR (at any depth, in path order) into the same relative path "
            + "under OUTDIR, external data files beside each result. Every option of the main job "
            + "applies to every model. A model that fails is reported and the others go on.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every model was rewritten (or was up to date with --resume)",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, INDIR is not a folder, OUTDIR is INDIR, ...)",
        "4:I/O error outside any one model (INDIR unreadable, a report cannot be written)",
        "6:some models failed (listed; with --fail-fast the rest were not run); the others were done"})
final class BatchCommand implements Callable<Integer> {
  /** metadata_props key: the --external-data layout asked for (part of what --resume compares). */
  static final String META_EXTERNAL_DATA = "dev.zeroinit.external-data";
  private static final Pattern SIZE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b)?\\s*");

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "INDIR", description = "The folder to search for .onnx files.")
  Path inputDir;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUTDIR",
      description = "Where the results go, at the same relative paths (created as needed).")
  Path outputDir;

  @Mixin
  RewriteOptions rewrite;

  @Option(names = {"-j", "--jobs"}, defaultValue = "1", paramLabel = "N",
      description = "Models rewritten at once (default 1), within the memory budget.")
  int jobs;

  @Option(names = "--max-memory", paramLabel = "SIZE",
      description = "Memory the running models may take together, e.g. 512m, 4g (default: 3/4 of the "
          + "JVM's max heap). A model starts when its estimate (model file + 5/4 of its largest float "
          + "tensor + 16 MB; all float tensors with --external-data inline) fits; one larger than the "
          + "budget runs alone.")
  String maxMemory;

  @Option(names = "--resume",
      description = "Skip a model whose output exists and records this input's SHA-256 and the same "
          + "options (metadata_props); redo and replace it otherwise.")
  boolean resume;

  @Option(names = "--shard", paramLabel = "K/N",
      description = "Take only part K of N (K from 1): a model belongs to part 1 + (SHA-256 of its "
          + "relative path, first 8 bytes) mod N, so N workers split INDIR with no coordination.")
  String shard;

  @Option(names = "--fail-fast", description = "Start no further model after the first failure.")
  boolean failFast;

  @Option(names = {"-f", "--force"}, description = "Replace outputs that exist.")
  boolean force;

  @Option(names = "--no-sync", description = "Do not force files to disk before renaming them into place.")
  boolean noSync;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the outcome of every model as JSON.")
  Path report;

  @Option(names = "--junit", paramLabel = "FILE",
      description = "Write a JUnit XML report: one test case per model, failures as <failure>.")
  Path junit;

  @Option(names = "--markdown", paramLabel = "FILE", description = "Write the summary table as Markdown.")
  Path markdown;

  @Option(names = {"-q", "--quiet"}, description = "No progress and no table; failures are still listed.")
  boolean quiet;

  @Option(names = "--verify",
      description = "Run the signal check on ONNX Runtime on every result right after it is written; "
          + "a model whose check fails is reported as failed (its output stays).")
  boolean verify;

  @picocli.CommandLine.Mixin
  VerifyOptions verifyOptions;

  /** The check run on each result after it is written: the signal check with --verify, else nothing. */
  AfterRewrite afterRewrite = AfterRewrite.NONE;

  @Override
  public Integer call() throws Exception {
    PlanOptions planOptions = rewrite.planOptions();
    java.util.List<String> verifyGiven = VerifyOptions.given(spec.commandLine().getParseResult());
    if (!verify && !verifyGiven.isEmpty()) {
      throw new UsageException(String.join(", ", verifyGiven) + ": needs --verify");
    }
    if (verify) {
      afterRewrite = VerifyRunner.afterRewrite(verifyOptions);
    }
    ExternalDataLayout layout = rewrite.layout();
    if (jobs < 1) {
      throw new UsageException("--jobs: " + jobs + " is not a positive number");
    }
    Shard part = Shard.ALL;
    if (shard != null) {
      try {
        part = Shard.parse(shard);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--shard: " + e.getMessage());
      }
    }
    long heap = Runtime.getRuntime().maxMemory();
    long budget = maxMemory == null ? heap / 4 * 3 : parseSize(maxMemory);
    checkFolders();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (maxMemory != null && budget > heap) {
      err.println("zero-init: note: --max-memory " + Sizes.human(budget) + " is more than the JVM's heap ("
          + Sizes.human(heap) + "); give it more with JAVA_OPTS=-Xmx...");
    }
    Files.createDirectories(outputDir);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put(ZeroInitCommand.META_VERSION, Version.get());
    metadata.put(ZeroInitCommand.META_OPTIONS, ZeroInitCommand.canonicalOptions(planOptions));
    metadata.put(META_EXTERNAL_DATA, layout.name().toLowerCase(Locale.ROOT));
    Map<String, String> resumeKey = new LinkedHashMap<>(metadata);
    resumeKey.remove(ZeroInitCommand.META_VERSION); // a newer tool does not redo a zoo by itself
    BatchOptions options = new BatchOptions(inputDir, outputDir, planOptions, layout, !noSync, force,
        resume, failFast, jobs, budget, part, metadata, resumeKey, afterRewrite);
    BatchResult result;
    try (BatchProgress progress = BatchProgress.create(out, quiet, System.console() != null)) {
      progress.header("zero-init " + Version.get() + " batch: " + inputDir + " -> " + outputDir + "; "
          + jobs + (jobs == 1 ? " job" : " jobs") + ", memory budget " + Sizes.human(budget)
          + (shard == null ? "" : ", shard " + part));
      result = BatchRunner.run(options, progress);
    }
    if (!quiet) {
      out.print(BatchReports.table(result));
      out.println(BatchReports.totals(result));
    }
    out.flush();
    for (ModelOutcome o : result.outcomes()) {
      if (o.status() == ModelOutcome.Status.FAILED) {
        err.println("zero-init: " + o.path() + ": " + BatchReports.reason(o));
      }
    }
    long notRun = result.count(ModelOutcome.Status.NOT_RUN);
    if (notRun > 0) {
      err.println("zero-init: --fail-fast: " + notRun + " model" + (notRun == 1 ? "" : "s") + " not run");
    }
    err.flush();
    Map<String, Object> reportOptions = rewrite.reportOptions(planOptions);
    reportOptions.put("jobs", jobs);
    reportOptions.put("maxMemory", budget);
    reportOptions.put("shard", part.toString());
    reportOptions.put("resume", resume);
    reportOptions.put("failFast", failFast);
    if (report != null) {
      AtomicFile.write(report, BatchReports.json(result, inputDir, outputDir, reportOptions));
    }
    if (junit != null) {
      AtomicFile.write(junit, BatchReports.junit(result, inputDir, reportOptions));
    }
    if (markdown != null) {
      AtomicFile.write(markdown, BatchReports.markdown(result, inputDir, outputDir));
    }
    return result.allOk() ? ExitCodes.OK : ExitCodes.SOME_FAILED;
  }

  private void checkFolders() throws Exception {
    if (!Files.isDirectory(inputDir)) {
      throw new UsageException(inputDir + ": " + (Files.exists(inputDir) ? "is not a folder" : "no such folder"));
    }
    if (Files.exists(outputDir) && !Files.isDirectory(outputDir)) {
      throw new UsageException(outputDir + ": exists and is not a folder");
    }
    if (Files.exists(outputDir) && Files.isSameFile(inputDir, outputDir)) {
      throw new UsageException("OUTDIR is INDIR; the inputs are never modified, so choose another folder");
    }
  }

  /** {@code 512m}, {@code 4g}, {@code 1.5G}, {@code 64MiB}, {@code 1048576} (binary multiples). */
  static long parseSize(String s) throws UsageException {
    Matcher m = SIZE.matcher(s);
    if (!m.matches()) {
      throw new UsageException("--max-memory: '" + s + "' is not a size such as 512m or 4g");
    }
    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      case "t" -> 40;
      default -> 0;
    };
    double v = Double.parseDouble(m.group(1)) * (1L << shift);
    if (v < 1 || v > Long.MAX_VALUE / 2) {
      throw new UsageException("--max-memory: '" + s + "' is out of range");
    }
    return (long) v;
  }
}
