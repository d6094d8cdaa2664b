package dev.zeroinit.cli;

import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanEntry;
import dev.zeroinit.verify.Dims;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The plan as an aligned text table, one row per tensor, then a summary line. */
final class PlanTable {
  private static final int MAX_NAME = 44;
  private static final int MAX_CONSUMER = 36;

  private PlanTable() { }

  static String render(Plan plan) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"tensor", "type", "shape", "read by", "rule", "P x Q", "how / why not"});
    for (PlanEntry e : plan.entries()) {
      String consumers = e.consumers().size() == 1 ? e.consumers().get(0)
          : e.consumers().get(0) + " +" + (e.consumers().size() - 1);
      String pq = e.p() > 0 ? e.p() + "x" + e.q() + (e.groups() > 1 ? " (x" + e.groups() + ")" : "") : "-";
      String how = e.rewritten() ? e.orientation()
          + (e.notes().isEmpty() ? "" : "; " + String.join("; ", e.notes())) : e.skipReason();
      rows.add(new String[] {clip(e.name(), MAX_NAME), e.dataType().toLowerCase(), shape(e.shape()),
          clip(consumers, MAX_CONSUMER), e.rewritten() ? e.rule() : "skipped", pq, how});
    }
    StringBuilder out = new StringBuilder();
    int[] widths = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int c = 0; c < r.length; c++) {
        widths[c] = Math.max(widths[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < r.length; c++) {
        line.append(c == r.length - 1 ? r[c] : pad(r[c], widths[c])).append(c == r.length - 1 ? "" : "  ");
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    if (!plan.blocks().isEmpty()) {
      out.append('\n').append(plan.blocks().size()).append(" residual blocks:\n");
      for (var b : plan.blocks()) {
        out.append("  #").append(b.id()).append("  ").append(b.add()).append(": branch ")
            .append(b.branchLayers().size()).append(" layer").append(b.branchLayers().size() == 1 ? "" : "s")
            .append(", ends at ").append(b.branchEnd()).append(b.zeroed() ? " (zeroed)" : "")
            .append("; skip ").append(b.skip())
            .append(b.graph().equals("graph") ? "" : "; in " + b.graph()).append('\n');
      }
      out.append('\n');
    }
    out.append(summary(plan)).append('\n');
    return out.toString();
  }

  /** e.g. {@code 21 tensors rewritten (3.1 MB): 12 identity, 2 hadamard, 7 zero; 1 skipped}. */
  static String summary(Plan plan) {
    Map<String, Integer> counts = plan.countsByRule();
    List<String> parts = new ArrayList<>();
    counts.forEach((rule, n) -> {
      if (!rule.equals("skipped") && n > 0) {
        parts.add(n + " " + rule);
      }
    });
    int skipped = counts.getOrDefault("skipped", 0);
    long zeroed = plan.blocks().stream().filter(b -> b.zeroed()).count();
    return plan.rewritten().size() + " tensors rewritten (" + Sizes.human(plan.bytesRewritten()) + ")"
        + (parts.isEmpty() ? "" : ": " + String.join(", ", parts)) + "; " + skipped + " skipped"
        + (plan.blocks().isEmpty() ? "" : "; " + plan.blocks().size() + " residual blocks"
            + (zeroed > 0 ? " (branch ends zeroed)" : ""));
  }

  /** e.g. {@code 64x3x7x7}, the same spelling as the signal report's. */
  static String shape(long[] dims) {
    return Dims.format(dims);
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : "…" + s.substring(s.length() - max + 1);
  }

  private static String pad(String s, int w) {
    return s + " ".repeat(Math.max(0, w - s.length()));
  }
}
