package dev.zeroinit.cli;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.train.GradientCheck;
import dev.zeroinit.finetune.train.GradientCheckException;
import dev.zeroinit.finetune.train.GradientJson;
import dev.zeroinit.finetune.train.GradientReport;
import dev.zeroinit.finetune.train.GradientTable;
import dev.zeroinit.init.Plan;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.verify.DeviceUnavailableException;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.VerifyConfig;
import dev.zeroinit.verify.VerifyInputException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gradient check of {@code zero-init verify --grad}, after the signal check: runs it with the
 * signal check's configuration, prints its table, and gives its exit code and its JSON section.
 */
final class GradRunner {
  private GradRunner() { }

  /**
   * What {@code --grad} asks for.
   *
   * @param loss the loss, or null to choose it from the model's output
   */
  record Request(LossKind loss) {
    /** Parses {@code --loss}: auto, ce, mse or lm. */
    static Request of(String loss) throws UsageException {
      if (loss.equalsIgnoreCase("auto")) {
        return new Request(null);
      }
      try {
        return new Request(LossKind.parse(loss));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--loss: unknown loss '" + loss + "'; choose auto, ce, mse or lm");
      }
    }
  }

  /**
   * The outcome.
   *
   * @param code the exit code of the gradient check alone
   * @param json the {@code gradient} section of {@code --json}
   */
  record Outcome(int code, Map<String, Object> json) { }

  /** Runs the check on {@code model} unless the signal check {@code forward} could not run at all. */
  static Outcome run(picocli.CommandLine cmd, Path model, Plan plan, VerifyConfig config, Request request,
      SignalReport forward) throws Exception {
    PrintWriter out = cmd.getOut();
    out.println();
    if (forward.verdict() == SignalReport.Verdict.NOT_RUNNABLE) {
      String why = "the model does not run on this provider (see above)";
      out.println("gradient check: not run: " + why);
      out.flush();
      return new Outcome(ExitCodes.NOT_RUNNABLE, section("NOT_RUN", why));
    }
    GradientReport r;
    try {
      r = GradientCheck.run(model, plan, config, request.loss());
    } catch (GradientCheckException e) {
      out.flush();
      boolean usage = e.kind() == GradientCheckException.Kind.USAGE;
      String line = usage ? e.getMessage() : model + ": " + e.getMessage();
      cmd.getErr().println("zero-init: " + line);
      cmd.getErr().flush();
      return new Outcome(usage ? ExitCodes.USAGE : ExitCodes.INVALID_MODEL, section("ERROR", e.getMessage()));
    } catch (InvalidModelException e) {
      out.flush();
      cmd.getErr().println("zero-init: " + e.oneLine());
      cmd.getErr().flush();
      return new Outcome(ExitCodes.INVALID_MODEL, section("ERROR", e.oneLine()));
    } catch (DeviceUnavailableException e) {
      out.flush();
      cmd.getErr().println("zero-init: --device cuda: CUDA cannot be used here: " + e.getMessage()
          + " (use --device auto to fall back to the CPU)");
      cmd.getErr().flush();
      return new Outcome(ExitCodes.DEVICE_UNAVAILABLE, section("ERROR", e.getMessage()));
    } catch (VerifyInputException e) {
      throw new UsageException(e.getMessage());
    }
    out.print(GradientTable.render(r));
    out.flush();
    int code = switch (r.verdict()) {
      case PASS -> ExitCodes.OK;
      case FAIL -> ExitCodes.CHECK_FAILED;
      case NOT_RUNNABLE -> ExitCodes.NOT_RUNNABLE;
    };
    return new Outcome(code, GradientJson.tree(r));
  }

  /**
   * The exit code of both checks: an error of the gradient stage (usage, a model it cannot
   * differentiate) as it is; else a failed check (5) before a model that cannot run (8).
   */
  static int combine(int forward, int gradient) {
    if (gradient != ExitCodes.OK && gradient != ExitCodes.CHECK_FAILED && gradient != ExitCodes.NOT_RUNNABLE) {
      return gradient;
    }
    if (forward == ExitCodes.CHECK_FAILED || gradient == ExitCodes.CHECK_FAILED) {
      return ExitCodes.CHECK_FAILED;
    }
    if (forward == ExitCodes.NOT_RUNNABLE || gradient == ExitCodes.NOT_RUNNABLE) {
      return ExitCodes.NOT_RUNNABLE;
    }
    return forward;
  }

  private static Map<String, Object> section(String verdict, String reason) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("verdict", verdict);
    m.put("reason", reason);
    return m;
  }
}
