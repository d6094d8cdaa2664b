package dev.zeroinit.init;

import dev.zeroinit.onnxio.DeferredContent;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteRefusedException;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The main job, start to end: read the model, plan, rewrite, write atomically. With no output path
 * it stops after planning (a dry run). The input is never modified, unless the write options say
 * in place, and then only by the final rename.
 */
public final class RewriteJob {
  private RewriteJob() { }

  /** What the job did and how long each part took (nanoseconds). */
  public record Result(Path input, Plan plan, WriteResult written, long readNanos, long planNanos,
      long writeNanos, long inputBytes) { }

  /**
   * Runs the job. {@code output} null means plan only. {@code metadata} is recorded in the model's
   * metadata_props.
   */
  public static Result run(Path input, Path output, PlanOptions planOptions, WriteOptions writeOptions,
      Map<String, String> metadata) throws InvalidModelException, IOException, WriteRefusedException {
    long t0 = System.nanoTime();
    try (OnnxModel model = OnnxModel.read(input)) {
      long t1 = System.nanoTime();
      Plan plan;
      try {
        plan = Planner.plan(model.proto(), planOptions);
      } catch (InvalidModelException e) {
        throw e.inFile(input);
      }
      long t2 = System.nanoTime();
      long inputBytes = model.fileSize() + model.externalBytes();
      if (output == null) {
        return new Result(input, plan, null, t1 - t0, t2 - t1, 0, inputBytes);
      }
      HeapBudget.check(input, model, plan, writeOptions); // refuse before allocating, not OOM half way
      ModelProto rewritten;
      DeferredContent deferred = new DeferredContent(); // tensor bytes made one at a time by the writer
      try {
        rewritten = Rewriter.apply(model.proto(), plan, metadata, deferred);
      } catch (InvalidModelException e) {
        throw e.inFile(input);
      }
      WriteResult written = ModelWriter.write(model, rewritten, output, writeOptions, deferred);
      long t3 = System.nanoTime();
      return new Result(input, plan, written, t1 - t0, t2 - t1, t3 - t2, inputBytes);
    }
  }
}
