package dev.zeroinit.init;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every decision the planner made for one model, in graph order, the residual blocks it found, and
 * the options it used. Computed
 * before anything is written; printable ({@code --dry-run}) and serialisable ({@code --report}).
 */
public record Plan(List<PlanEntry> entries, List<ResidualBlock> blocks, PlanOptions options) {

  public List<PlanEntry> rewritten() {
    return entries.stream().filter(PlanEntry::rewritten).toList();
  }

  public List<PlanEntry> skipped() {
    return entries.stream().filter(e -> !e.rewritten()).toList();
  }

  /** Tensors per rule (and "skipped"), in a stable order. */
  public Map<String, Integer> countsByRule() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String r : List.of("identity", "partial-identity", "hadamard", "zero", "one")) {
      counts.put(r, 0);
    }
    for (PlanEntry e : entries) {
      counts.merge(e.rewritten() ? e.rule() : "skipped", 1, Integer::sum);
    }
    return counts;
  }

  /** Bytes of tensor data the rewrite replaces. */
  public long bytesRewritten() {
    return rewritten().stream().mapToLong(PlanEntry::bytes).sum();
  }
}
