package dev.zeroinit.cli;

import dev.zeroinit.init.Plan;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.DeviceUnavailableException;
import dev.zeroinit.verify.SignalJson;
import dev.zeroinit.verify.SignalPlot;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.SignalTable;
import dev.zeroinit.verify.Verifier;
import dev.zeroinit.verify.VerifyConfig;
import dev.zeroinit.verify.VerifyInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the signal check for {@code zero-init verify} and the main job's {@code --verify}: builds the
 * configuration from {@link VerifyOptions}, runs the model (and the original, with --against), prints
 * the report, writes --json and --plot, and chooses the exit code. The only class of the cli that
 * touches the verify module's runtime, so the main job without --verify never loads ONNX Runtime.
 */
final class VerifyRunner {
  private VerifyRunner() { }

  /**
   * Checks {@code model}; {@code plan} (null: plan the file with default options) tells which weights
   * were zeroed on purpose; {@code seed} seeds the inputs. With {@code quiet}, a passing report prints
   * nothing.
   */
  static int run(picocli.CommandLine cmd, Path model, Plan plan, VerifyOptions options, long seed, boolean quiet)
      throws Exception {
    return run(cmd, model, plan, options, seed, quiet, null);
  }

  /**
   * As {@link #run(picocli.CommandLine, Path, Plan, VerifyOptions, long, boolean)}, followed, when
   * {@code grad} is not null, by the gradient check ({@code verify --grad}) on the same batch and
   * provider; --json then holds its report under {@code gradient}, and the exit code is both checks'.
   */
  static int run(picocli.CommandLine cmd, Path model, Plan plan, VerifyOptions options, long seed, boolean quiet,
      GradRunner.Request grad) throws Exception {
    VerifyConfig config = config(options, seed);
    requireRuntime();
    PrintWriter out = cmd.getOut();
    SignalReport report;
    SignalReport original = null;
    try {
      report = Verifier.verify(model, plan, config);
      if (options.against != null) {
        original = Verifier.verify(options.against, null, config);
      }
    } catch (VerifyInputException e) {
      throw new UsageException(e.getMessage());
    } catch (DeviceUnavailableException e) {
      cmd.getErr().println("zero-init: --device cuda: CUDA cannot be used here: " + e.getMessage()
          + " (use --device auto to fall back to the CPU)");
      cmd.getErr().flush();
      return ExitCodes.DEVICE_UNAVAILABLE;
    }
    if (!quiet || report.verdict() != SignalReport.Verdict.PASS) {
      out.print(SignalTable.render(report, original));
    }
    out.flush();
    Map<String, Object> sections = new LinkedHashMap<>();
    int gradCode = ExitCodes.OK;
    if (grad != null) {
      GradRunner.Outcome g = GradRunner.run(cmd, model, plan, config, grad, report);
      sections.put("gradient", g.json());
      gradCode = g.code();
    }
    if (options.json != null) {
      Map<String, Object> tool = new LinkedHashMap<>();
      tool.put("tool", "zero-init");
      tool.put("version", Version.get());
      AtomicFile.write(options.json, SignalJson.toJson(report, original, tool, sections));
    }
    if (options.plot != null) {
      AtomicFile.write(options.plot, SignalPlot.png(report, original, 1100, 750));
    }
    int code = switch (report.verdict()) {
      case PASS -> ExitCodes.OK;
      case FAIL -> ExitCodes.CHECK_FAILED;
      case NOT_RUNNABLE -> ExitCodes.NOT_RUNNABLE;
    };
    return grad == null ? code : GradRunner.combine(code, gradCode);
  }

  /**
   * The signal check as a batch hook: each result is checked right after it is written; a failed
   * check fails that model (its output stays, as with the main job's --verify), a model that cannot
   * run on the provider gets a note. --json, --plot and --against are per-model files and do not
   * apply to a batch.
   */
  static dev.zeroinit.init.batch.AfterRewrite afterRewrite(VerifyOptions options) throws Exception {
    if (options.json != null || options.plot != null || options.against != null) {
      throw new UsageException("batch --verify: --json, --plot and --against are for one model; use 'zero-init verify'");
    }
    VerifyConfig config = config(options, 0);
    requireRuntime();
    return (input, output, plan) -> {
      SignalReport r;
      try {
        r = Verifier.verify(output, plan, config);
      } catch (DeviceUnavailableException e) {
        throw new UsageException("--device cuda: CUDA cannot be used here: " + e.getMessage());
      } catch (VerifyInputException e) {
        throw new UsageException("signal check: " + e.getMessage());
      }
      return switch (r.verdict()) {
        case PASS -> "signal check passed on " + r.provider().name();
        case NOT_RUNNABLE -> "signal check not runnable on " + r.provider().name() + ": " + r.notRunnableReason();
        case FAIL -> throw new SignalCheckFailedException("signal check failed: " + String.join("; ", r.checks().stream()
            .filter(c -> c.status() == SignalReport.Status.FAIL)
            .map(c -> "(" + c.number() + ") " + c.name() + ": " + c.detail()).toList()));
      };
    };
  }

  static VerifyConfig config(VerifyOptions o, long seed) throws UsageException {
    Device device;
    try {
      device = Device.parse(o.device);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--device: '" + o.device + "' is not one of auto, cuda, cpu");
    }
    if (o.threads < 0) {
      throw new UsageException("--threads: " + o.threads + " is negative (0 lets ONNX Runtime choose)");
    }
    if (o.batch < 1) {
      throw new UsageException("--batch: " + o.batch + " must be at least 1");
    }
    for (Map.Entry<String, Long> e : o.dims.entrySet()) {
      if (e.getValue() < 1) {
        throw new UsageException("--dim " + e.getKey() + "=" + e.getValue() + ": sizes must be at least 1");
      }
    }
    String[] band = o.gainBand.split(",");
    double lo;
    double hi;
    try {
      if (band.length != 2) {
        throw new NumberFormatException();
      }
      lo = Double.parseDouble(band[0].trim());
      hi = Double.parseDouble(band[1].trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--gain-band: '" + o.gainBand + "' is not LO,HI (two numbers, e.g. 1e-3,1e3)");
    }
    if (!(lo > 0) || !(hi >= lo) || Double.isInfinite(hi)) {
      throw new UsageException(String.format(Locale.ROOT, "--gain-band: needs 0 < LO <= HI, got %s", o.gainBand));
    }
    return new VerifyConfig(device, o.threads, seed, o.batch, o.dims, o.inputs, lo, hi);
  }

  /** ONNX Runtime's classes must be on the class path (beside the fat jar, in lib/). */
  static void requireRuntime() throws IOException {
    try {
      Class.forName("ai.onnxruntime.OrtEnvironment", false, VerifyRunner.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      String where = "lib/onnxruntime_gpu-*.jar";
      try {
        Path jar = Path.of(VerifyRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        where = jar.resolveSibling("lib").resolve("onnxruntime_gpu-*.jar").toString();
      } catch (Exception ignored) {
        // keep the relative form
      }
      throw new java.nio.file.NoSuchFileException(where, null, "ONNX Runtime is not on the class path; "
          + "'mvn package' puts it in cli/target/lib/ beside zero-init.jar");
    }
  }
}
