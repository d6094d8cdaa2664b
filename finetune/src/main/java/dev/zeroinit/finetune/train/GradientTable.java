package dev.zeroinit.finetune.train;

import static dev.zeroinit.verify.Verifier.num;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.verify.Dims;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.TensorStats;
import dev.zeroinit.verify.TextTable;
import dev.zeroinit.verify.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The gradient report as text for a terminal, laid out like the signal check's: the provider, the
 * loss and what the step was fed, one aligned row per trainable tensor, the explanation of every
 * all-zero or non-finite gradient, and a one-line verdict at the end.
 */
public final class GradientTable {
  private static final int MAX_NAME = 44;
  private static final int MAX_LISTED = 5;

  private GradientTable() { }

  /** The report as lines of text. */
  public static String render(GradientReport r) {
    StringBuilder out = new StringBuilder();
    out.append("gradient check: ").append(r.model()).append('\n');
    out.append("execution provider: ").append(r.provider() == null ? "none started (the model's inputs cannot be fed)"
        : r.provider().describe()).append('\n');
    out.append("loss: ").append(lossName(r.loss())).append(" on '").append(r.output()).append("' (")
        .append(r.lossReason()).append(")");
    if (r.verdict() != GradientReport.Verdict.NOT_RUNNABLE) {
      out.append(" = ").append(num(r.lossValue()));
    }
    out.append(", one training step\n");
    List<SignalReport.InputInfo> fed = new ArrayList<>(r.inputs());
    if (r.targets() != null) {
      fed.add(r.targets());
    }
    if (!fed.isEmpty()) {
      out.append("inputs:\n");
      List<String[]> rows = new ArrayList<>();
      for (SignalReport.InputInfo in : fed) {
        rows.add(new String[] {"  " + in.name(), in.type(), Dims.format(in.shape()), in.source(),
            Double.isNaN(in.rms()) ? "" : "RMS " + num(in.rms())});
      }
      TextTable.append(out, rows, new boolean[5]);
    }
    if (r.verdict() == GradientReport.Verdict.NOT_RUNNABLE) {
      out.append("verdict: NOT RUNNABLE on this provider: ").append(r.notRunnableReason()).append('\n');
      return out.toString();
    }
    out.append('\n');
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "trainable tensor", "shape", "grad RMS", "max|g|", "zeros", "finite", "status"});
    for (GradientReport.Tensor t : r.tensors()) {
      TensorStats s = t.stats();
      rows.add(new String[] {String.valueOf(t.index()), clip(t.name()), Dims.format(s.shape()), num(s.rms()),
          num(s.maxAbs()), zeros(s.zeroFraction()), s.finite() ? "yes" : "NO", t.status().label()});
    }
    TextTable.append(out, rows, new boolean[] {true, false, false, true, true, true, false, false});
    explain(out, r, GradientReport.Status.ZERO_EXPECTED, "zero gradients the plan explains (its zeroed weights block "
        + "them; expected at step 0):", null);
    explain(out, r, GradientReport.Status.ZERO, "zero gradients nothing the plan did explains:",
        "no weight the plan zeroed blocks it");
    explain(out, r, GradientReport.Status.NON_FINITE, "non-finite gradients:", null);
    if (!r.notTrained().isEmpty()) {
      out.append("not trained, so not checked: ").append(r.notTrained().size()).append(" float initializer")
          .append(r.notTrained().size() == 1 ? "" : "s").append(" (")
          .append(list(new ArrayList<>(r.notTrained().keySet()))).append(")\n");
    }
    GradientReport.Timings t = r.timings();
    out.append(String.format(Locale.ROOT, "time: read, plan and step graph %.2f s, session %.2f s, step %.2f s%n",
        t.prepareNanos() / 1e9, t.sessionNanos() / 1e9, t.runNanos() / 1e9));
    out.append(verdict(r)).append('\n');
    return out.toString();
  }

  /** The verdict line, e.g. {@code verdict: PASS: the gradient passes through (...) on CPUExecutionProvider, 0.4 s}. */
  public static String verdict(GradientReport r) {
    String provider = r.provider() == null ? "" : " on " + r.provider().name();
    String time = String.format(Locale.ROOT, "%.2f s", r.timings().totalNanos() / 1e9);
    int n = r.tensors().size();
    return switch (r.verdict()) {
      case NOT_RUNNABLE -> "verdict: NOT RUNNABLE on this provider: " + r.notRunnableReason();
      case PASS -> {
        int expected = r.withStatus(GradientReport.Status.ZERO_EXPECTED).size();
        yield "verdict: PASS: the gradient reaches every trainable tensor (" + n + " of " + n + " finite; "
            + (n - expected) + " non-zero" + (expected == 0 ? "" : ", " + expected + " zero as the plan explains")
            + ")" + provider + ", " + time;
      }
      case FAIL -> {
        List<String> parts = new ArrayList<>();
        for (GradientReport.Status s : List.of(GradientReport.Status.ZERO, GradientReport.Status.NON_FINITE)) {
          List<String> names = r.withStatus(s).stream().map(GradientReport.Tensor::name).toList();
          if (!names.isEmpty()) {
            parts.add(names.size() + " " + s.label() + ": " + list(names));
          }
        }
        long failed = r.tensors().stream().filter(x -> x.status().fails()).count();
        yield "verdict: FAIL: " + failed + " of " + n + " trainable tensors get no usable gradient ("
            + String.join("; ", parts) + ")" + provider + ", " + time;
      }
    };
  }

  private static void explain(StringBuilder out, GradientReport r, GradientReport.Status status, String heading,
      String otherwise) {
    List<GradientReport.Tensor> ts = r.withStatus(status);
    if (ts.isEmpty()) {
      return;
    }
    out.append(heading).append('\n');
    for (GradientReport.Tensor t : ts) {
      String why = t.explanation() != null ? t.explanation() : otherwise;
      out.append("  ").append(t.name()).append(why == null ? "" : ": " + why).append('\n');
    }
  }

  static String lossName(LossKind k) {
    return switch (k) {
      case CROSS_ENTROPY -> "cross-entropy (ce)";
      case LANGUAGE_MODEL -> "next-token cross-entropy (lm)";
      case MSE -> "mean squared error (mse)";
    };
  }

  /** A zero fraction that never rounds to 0% or 100% unless it is. */
  static String zeros(double f) {
    if (f > 0.999 && f < 1) {
      return ">99.9%";
    }
    if (f > 0 && f < 0.001) {
      return "<0.1%";
    }
    return Verifier.pct(f);
  }

  private static String list(List<String> names) {
    return names.size() <= MAX_LISTED ? String.join(", ", names)
        : String.join(", ", names.subList(0, MAX_LISTED)) + " and " + (names.size() - MAX_LISTED) + " more";
  }

  private static String clip(String s) {
    return s.length() <= MAX_NAME ? s : "…" + s.substring(s.length() - MAX_NAME + 1);
  }
}
