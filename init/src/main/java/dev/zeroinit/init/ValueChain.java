package dev.zeroinit.init;

import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.tensor.SparseValues;
import java.util.List;

/**
 * How a stored constant reaches its consumer: the constant, the steps in between (source first) and
 * the shape the consumer sees. Maps values written for the consumer's view back onto the stored
 * tensor, applying the inverse of every Transpose on the way.
 */
public record ValueChain(GraphIndex.ConstantRef source, long[] storedShape, List<ChainStep> steps) {

  /** The shape the consumer sees. */
  public long[] consumerShape() {
    return steps.isEmpty() ? storedShape : steps.get(steps.size() - 1).outShape();
  }

  /** "via Transpose(perm=[1, 0])", or "" for a direct read. */
  public String describe() {
    if (steps.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder("via ");
    for (int i = 0; i < steps.size(); i++) {
      b.append(i == 0 ? "" : " -> ").append(steps.get(i).describe());
    }
    return b.toString();
  }

  /** Values given at the consumer's view, re-indexed to the stored tensor. */
  public SparseValues toStored(SparseValues atConsumer) {
    boolean reorders = steps.stream().anyMatch(s -> s.perm() != null);
    if (!reorders) {
      return atConsumer;
    }
    return sink -> atConsumer.forEachNonZero((index, value) -> sink.accept(storedIndex(index), value));
  }

  /** The stored flat index of the element the consumer sees at {@code consumerIndex}. */
  long storedIndex(long consumerIndex) {
    long index = consumerIndex;
    for (int s = steps.size() - 1; s >= 0; s--) {
      ChainStep step = steps.get(s);
      if (step.perm() != null) {
        long[] inShape = s == 0 ? storedShape : steps.get(s - 1).outShape();
        index = untranspose(index, inShape, step.perm(), step.outShape());
      }
    }
    return index;
  }

  /** Output element {@code outIndex} of Transpose(perm) reads input element at the returned index. */
  static long untranspose(long outIndex, long[] inShape, int[] perm, long[] outShape) {
    int r = outShape.length;
    long[] inStrides = new long[r];
    long stride = 1;
    for (int d = r - 1; d >= 0; d--) {
      inStrides[d] = stride;
      stride *= inShape[d];
    }
    long rest = outIndex;
    long in = 0;
    for (int d = r - 1; d >= 0; d--) {
      long coord = rest % outShape[d];
      rest /= outShape[d];
      in += coord * inStrides[perm[d]];
    }
    return in;
  }
}
