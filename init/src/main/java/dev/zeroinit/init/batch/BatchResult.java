package dev.zeroinit.init.batch;

import java.util.List;

/**
 * A finished batch: how many models were found under the folder, the outcomes of this shard's
 * models in path order, the wall time, and the memory budget with the most of it ever reserved.
 */
public record BatchResult(int found, List<ModelOutcome> outcomes, long nanos, long memoryBudget,
    long peakReserved) {

  public BatchResult {
    outcomes = List.copyOf(outcomes);
  }

  public long count(ModelOutcome.Status s) {
    return outcomes.stream().filter(o -> o.status() == s).count();
  }

  /** True when every selected model was rewritten or up to date. */
  public boolean allOk() {
    return outcomes.stream().allMatch(ModelOutcome::ok);
  }
}
