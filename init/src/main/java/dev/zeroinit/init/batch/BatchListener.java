package dev.zeroinit.init.batch;

import java.util.List;

/**
 * Hears what a batch does, for progress displays. Calls come from several threads (the scheduler and
 * the workers); implementations synchronize.
 */
public interface BatchListener {
  /** No output. */
  BatchListener NONE = new BatchListener() { };

  /** Discovery is done: {@code found} models under the folder, {@code selected} of them in this shard. */
  default void selected(int found, List<String> selected) { }

  /** A model starts (it fits in the memory budget); {@code footprint} is its estimate in bytes. */
  default void started(String path, long footprint) { }

  /** A model is done, whatever the outcome (also for models not run after --fail-fast stopped). */
  default void finished(ModelOutcome outcome) { }
}
