package dev.zeroinit.init.batch;

import dev.zeroinit.init.Plan;
import java.nio.file.Path;

/**
 * A check the batch runs on each model right after its result is written: the hook for {@code
 * --verify} (the signal check on ONNX Runtime), which plugs in here without the batch knowing about
 * it. It is called from the worker threads, several at once with {@code --jobs} above 1, so it must
 * be thread-safe. Throwing marks the model failed with the exception's message (the written result
 * stays, as the main job leaves an output that fails verification); returning a line adds it to the
 * model's notes in the reports. The default does nothing.
 */
@FunctionalInterface
public interface AfterRewrite {
  /** No check. */
  AfterRewrite NONE = (input, output, plan) -> null;

  /**
   * Checks the result {@code output} of {@code input} rewritten by {@code plan}; returns a note for
   * the reports, or null.
   */
  String check(Path input, Path output, Plan plan) throws Exception;
}
