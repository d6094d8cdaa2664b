package dev.zeroinit.verify;

import static dev.zeroinit.verify.Verifier.num;
import static dev.zeroinit.verify.Verifier.pct;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The signal report as text for a terminal: the provider, the inputs, one aligned row per probed
 * tensor, the outputs, the checks with their numbers, and a one-line verdict at the end. With an
 * original model, a second table puts both models' per-layer RMS side by side.
 */
public final class SignalTable {
  private static final int MAX_NAME = 44;

  private SignalTable() { }

  /** The report; {@code original} (may be null) is the same check on the model before the rewrite. */
  public static String render(SignalReport r, SignalReport original) {
    StringBuilder out = new StringBuilder();
    out.append("signal check: ").append(r.model()).append('\n');
    out.append("execution provider: ").append(r.provider() == null ? "none started (the model's inputs cannot be fed)"
        : r.provider().describe()).append('\n');
    if (!r.inputs().isEmpty()) {
      out.append("inputs:\n");
      List<String[]> rows = new ArrayList<>();
      for (SignalReport.InputInfo in : r.inputs()) {
        rows.add(new String[] {"  " + in.name(), in.type(), Dims.format(in.shape()), in.source(),
            Double.isNaN(in.rms()) ? "" : "RMS " + num(in.rms())});
      }
      table(out, rows, new boolean[5]);
    }
    if (r.verdict() == SignalReport.Verdict.NOT_RUNNABLE) {
      out.append("verdict: NOT RUNNABLE on this provider: ").append(r.notRunnableReason()).append('\n');
      return out.toString();
    }
    if (r.reference() != null) {
      out.append("gain = RMS / RMS of ").append(r.reference().tensor()).append(" (").append(r.reference().what())
          .append(", RMS ").append(num(r.reference().rms())).append(")\n");
    }
    out.append('\n');
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "node", "op", "shape", "RMS", "mean", "max|x|", "zeros", "finite", "gain", "rank",
        "note"});
    for (SignalReport.Layer l : r.layers()) {
      TensorStats s = l.stats();
      rows.add(new String[] {String.valueOf(l.index()), clip(l.node()), l.op(), Dims.format(s.shape()), num(s.rms()),
          num(s.mean()), num(s.maxAbs()), pct(s.zeroFraction()), s.finite() ? "yes" : "NO", num(l.gain()),
          rank(s), note(l)});
    }
    if (r.layers().isEmpty()) {
      out.append("(no float tensor of a weight, normalisation or residual node to probe)\n");
    } else {
      table(out, rows, new boolean[] {true, false, false, false, true, true, true, true, false, true, true, false});
    }
    out.append("\noutputs:\n");
    List<String[]> orows = new ArrayList<>();
    orows.add(new String[] {"  name", "type", "shape", "RMS", "mean", "max|x|", "zeros", "finite", "gain",
        "change (seed " + r.seed() + " vs " + (r.seed() + 1) + ")"});
    for (SignalReport.Output o : r.outputs()) {
      TensorStats s = o.stats();
      orows.add(new String[] {"  " + o.name(), o.type(), Dims.format(o.shape()), s == null ? "" : num(s.rms()),
          s == null ? "" : num(s.mean()), s == null ? "" : num(s.maxAbs()), s == null ? "" : pct(s.zeroFraction()),
          s == null ? "" : s.finite() ? "yes" : "NO", num(o.gain()),
          s == null ? (Double.isNaN(o.relativeChange()) ? "n/a" : o.relativeChange() > 0 ? "changed" : "unchanged")
              : num(o.relativeChange())});
    }
    table(out, orows, new boolean[] {false, false, false, true, true, true, true, false, true, true});
    if (original != null) {
      out.append('\n');
      against(out, r, original);
    }
    out.append("\nchecks:\n");
    for (SignalReport.Check c : r.checks()) {
      out.append(String.format(Locale.ROOT, "  %-4s %d %-25s %s%n", status(c.status()), c.number(), c.name(),
          c.detail()));
    }
    out.append("rank r/k: ").append(SignalReport.RANK_RULE).append("; k = min(m, n), * = feature columns sampled\n");
    SignalReport.Timings t = r.timings();
    out.append(String.format(Locale.ROOT, "time: read and plan %.2f s, session %.2f s, probed run %.2f s, "
        + "second run %.2f s, statistics %.2f s%n", t.prepareNanos() / 1e9, t.sessionNanos() / 1e9,
        t.runNanos() / 1e9, t.secondRunNanos() / 1e9, t.statsNanos() / 1e9));
    long passed = r.checks().stream().filter(c -> c.status() == SignalReport.Status.PASS).count();
    long failed = r.checks().stream().filter(c -> c.status() == SignalReport.Status.FAIL).count();
    String provider = r.provider() == null ? "" : " on " + r.provider().name();
    String time = String.format(Locale.ROOT, "%.2f s", r.timings().totalNanos() / 1e9);
    if (r.verdict() == SignalReport.Verdict.PASS) {
      out.append("verdict: PASS: the signal passes through (").append(passed).append(" of ")
          .append(r.checks().size()).append(" checks passed")
          .append(passed == r.checks().size() ? "" : ", " + (r.checks().size() - passed) + " not applicable")
          .append(")").append(provider).append(", ").append(time).append('\n');
    } else {
      List<String> names = new ArrayList<>();
      r.checks().stream().filter(c -> c.status() == SignalReport.Status.FAIL)
          .forEach(c -> names.add(c.number() + " " + c.name()));
      out.append("verdict: FAIL: ").append(failed).append(" of ").append(r.checks().size())
          .append(" checks failed (").append(String.join(", ", names)).append(")").append(provider)
          .append(", ").append(time).append('\n');
    }
    return out.toString();
  }

  /** The per-layer RMS of the original and this model, side by side. */
  private static void against(StringBuilder out, SignalReport r, SignalReport original) {
    out.append("against the original ").append(original.model()).append(":\n");
    if (original.verdict() == SignalReport.Verdict.NOT_RUNNABLE) {
      out.append("  (the original did not run: ").append(original.notRunnableReason()).append(")\n");
      return;
    }
    Map<String, SignalReport.Layer> match = matchLayers(r, original);
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"#", "node", "op", "RMS original", "RMS now", "now/original", "rank original",
        "rank now"});
    for (SignalReport.Layer l : r.layers()) {
      SignalReport.Layer o = match.get(l.output());
      rows.add(new String[] {String.valueOf(l.index()), clip(l.node()), l.op(),
          o == null ? "-" : num(o.stats().rms()), num(l.stats().rms()),
          o == null ? "-" : num(l.stats().rms() / o.stats().rms()), o == null ? "-" : rank(o.stats()),
          rank(l.stats())});
    }
    table(out, rows, new boolean[] {true, false, false, true, true, true, true, true});
    int unmatched = r.layers().size() - match.size();
    if (unmatched > 0) {
      out.append("  ").append(unmatched).append(" layers have no counterpart in the original (matched by node name, "
          + "then by output name)\n");
    }
  }

  /**
   * For each probed tensor of {@code r} (by output name), the original's layer with the same node name
   * (when node names are unique), else the same output name.
   */
  public static Map<String, SignalReport.Layer> matchLayers(SignalReport r, SignalReport original) {
    Map<String, SignalReport.Layer> byNode = new HashMap<>();
    Map<String, Integer> nodeCount = new HashMap<>();
    Map<String, SignalReport.Layer> byOutput = new HashMap<>();
    for (SignalReport.Layer o : original.layers()) {
      byNode.put(o.node(), o);
      nodeCount.merge(o.node(), 1, Integer::sum);
      byOutput.put(o.output(), o);
    }
    Map<String, SignalReport.Layer> out = new HashMap<>();
    for (SignalReport.Layer l : r.layers()) {
      SignalReport.Layer o = null;
      if (!l.node().startsWith("#") && nodeCount.getOrDefault(l.node(), 0) == 1) {
        o = byNode.get(l.node());
      }
      if (o == null) {
        o = byOutput.get(l.output());
      }
      if (o != null) {
        out.put(l.output(), o);
      }
    }
    return out;
  }

  private static String note(SignalReport.Layer l) {
    TensorStats s = l.stats();
    if (l.expectedZero() != null && s.allZero()) {
      return "zero on purpose";
    }
    if (s.allZero()) {
      return "ALL ZERO";
    }
    return s.finite() ? "" : "NOT FINITE";
  }

  private static String rank(TensorStats s) {
    if (s.rank() < 0) {
      return "n/a";
    }
    return s.rank() + "/" + Math.min(s.rankRows(), s.rankCols()) + (s.rankCols() < s.features() ? "*" : "");
  }

  private static String status(SignalReport.Status s) {
    return switch (s) {
      case PASS -> "PASS";
      case FAIL -> "FAIL";
      case NOT_APPLICABLE -> "n/a";
    };
  }

  private static String clip(String s) {
    return s.length() <= MAX_NAME ? s : "…" + s.substring(s.length() - MAX_NAME + 1);
  }

  /** Appends aligned rows: {@code right[c]} right-aligns column c. */
  private static void table(StringBuilder out, List<String[]> rows, boolean[] right) {
    TextTable.append(out, rows, right);
  }
}
