package dev.zeroinit.init.batch;

import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.onnxio.ExternalDataLayout;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How a batch runs.
 *
 * @param inputDir the folder searched for {@code *.onnx}
 * @param outputDir where results go, at the same relative paths (created as needed)
 * @param plan the options of every model's plan
 * @param layout the external data layout of every result (KEEP, SINGLE, INLINE)
 * @param durable force files to disk before renaming them into place
 * @param force replace existing outputs
 * @param resume skip a model whose output records this input's hash and the same {@code resumeKey}
 *     entries; replace the output otherwise
 * @param failFast stop starting models after the first failure
 * @param jobs models rewritten at once, at least 1
 * @param memoryBudget bytes the running models may take together (see {@link Footprint})
 * @param shard the part of the folder this run takes
 * @param metadata metadata_props every result records (the input hash is added by the batch)
 * @param resumeKey the entries of {@code metadata} an output must hold, with these values, to be up to
 *     date (the options that shape the result; not the tool version)
 * @param afterRewrite the check run on each result (the {@code --verify} hook)
 */
public record BatchOptions(Path inputDir, Path outputDir, PlanOptions plan, ExternalDataLayout layout,
    boolean durable, boolean force, boolean resume, boolean failFast, int jobs, long memoryBudget,
    Shard shard, Map<String, String> metadata, Map<String, String> resumeKey, AfterRewrite afterRewrite) {

  public BatchOptions {
    Objects.requireNonNull(inputDir, "inputDir");
    Objects.requireNonNull(outputDir, "outputDir");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(layout, "layout");
    shard = shard == null ? Shard.ALL : shard;
    // insertion order kept: it is the order of the entries in every result (byte-identical reruns)
    metadata = metadata == null ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    resumeKey = resumeKey == null ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(resumeKey));
    afterRewrite = afterRewrite == null ? AfterRewrite.NONE : afterRewrite;
    if (jobs < 1) {
      throw new IllegalArgumentException("jobs must be at least 1: " + jobs);
    }
    if (memoryBudget <= 0) {
      throw new IllegalArgumentException("memory budget must be positive: " + memoryBudget);
    }
  }
}
