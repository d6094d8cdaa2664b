package dev.zeroinit.init.batch;

import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;

/**
 * The memory one model's rewrite is estimated to take, from sizes known once its graph is read (the
 * weights are not read): <pre>
 *   footprint = model file size
 *             + 5/4 x (the largest floating-point tensor,
 *                      or all floating-point tensors together with --external-data inline)
 *             + 16 MB</pre>
 * Why: the parsed graph (and, for a model stored inline, the rewritten tensors that go back inline)
 * is at most the model file; a tensor stored outside the proto is made only when the writer places
 * it and dropped after (a dense Hadamard or random tensor costs its size, plus up to a quarter more of
 * scratch while the encoder finds out it is dense; identity and zero tensors cost almost nothing);
 * with the inline layout every rewritten tensor sits in the model proto until it is written; the
 * rest is buffers. Untouched weights are copied in chunks or wrapped from the mapped file, never held.
 */
public final class Footprint {
  /** Buffers, per-thread scratch, the plan. */
  public static final long BASE = 16L << 20;

  private Footprint() { }

  /** The estimate for rewriting {@code model} into {@code layout}, in bytes. */
  public static long estimate(OnnxModel model, ExternalDataLayout layout) {
    long[] largestAndSum = new long[2];
    try {
      TensorWalker.visit(model.proto(), (site, t) -> {
        DataType type;
        long bytes;
        try {
          type = DataType.fromCode(t.getDataType());
          if (!type.isZeroInitFloat()) {
            return;
          }
          bytes = DataType.rawByteLength(type, TensorCodec.elementCount(t));
        } catch (Exception e) {
          return; // malformed dims: the planner reports them
        }
        largestAndSum[0] = Math.max(largestAndSum[0], bytes);
        largestAndSum[1] = saturatedAdd(largestAndSum[1], bytes);
      });
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    long tensors = layout == ExternalDataLayout.INLINE ? largestAndSum[1] : largestAndSum[0];
    return saturatedAdd(saturatedAdd(model.fileSize(), saturatedAdd(tensors, tensors / 4)), BASE);
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return r < 0 ? Long.MAX_VALUE : r;
  }
}
