package dev.zeroinit.init;

import dev.zeroinit.onnxio.tensor.IndexedValueConsumer;
import dev.zeroinit.onnxio.tensor.SparseValues;

/**
 * The ZerO values of a {@link WeightLayout}, as the non-zero entries of the tensor the consumer sees
 * (flat row-major indices). Pure and cheap: identity kernels touch only their centre taps.
 */
public final class WeightValues {
  private WeightValues() { }

  /** Element count of a shape. */
  public static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The non-zero entries of {@code layout} under {@code scale}. */
  public static SparseValues of(WeightLayout layout, HadamardScale scale) {
    if (layout instanceof WeightLayout.MatrixSlices m) {
      return sink -> matrixSlices(m, scale, sink);
    }
    if (layout instanceof WeightLayout.ConvKernel k) {
      return sink -> convKernel(k, scale, sink);
    }
    WeightLayout.Fill f = (WeightLayout.Fill) layout;
    return sink -> {
      if (f.value() != 0.0 || Double.doubleToRawLongBits(f.value()) != 0) {
        long n = size(f.shape());
        for (long i = 0; i < n; i++) {
          sink.accept(i, f.value());
        }
      }
    };
  }

  /** The matrix a layout places (per slice or per group). Fill layouts have none. */
  public static ZeroMatrix matrixOf(WeightLayout layout, HadamardScale scale) {
    if (layout instanceof WeightLayout.MatrixSlices m) {
      return new ZeroMatrix(m.p(), m.q(), scale);
    }
    if (layout instanceof WeightLayout.ConvKernel k) {
      return new ZeroMatrix(k.p(), k.q(), scale);
    }
    return null;
  }

  private static void matrixSlices(WeightLayout.MatrixSlices m, HadamardScale scale,
      IndexedValueConsumer sink) {
    ZeroMatrix w = matrixOf(m, scale);
    long rows = m.rows();
    long cols = m.cols();
    long sliceSize = rows * cols;
    for (long s = 0; s < m.slices(); s++) {
      long base = s * sliceSize;
      if (m.transposed()) {
        w.forEachNonZero((i, j, v) -> sink.accept(base + j * cols + i, v));
      } else {
        w.forEachNonZero((i, j, v) -> sink.accept(base + i * cols + j, v));
      }
    }
  }

  private static void convKernel(WeightLayout.ConvKernel k, HadamardScale scale,
      IndexedValueConsumer sink) {
    long[] shape = k.shape();
    long[] centre = k.centre();
    long spatial = 1;
    long centreOffset = 0;
    for (int d = 2; d < shape.length; d++) {
      spatial *= shape[d];
      centreOffset = centreOffset * shape[d] + centre[d - 2];
    }
    final long spatialSize = spatial;
    final long perRow = shape[1] * spatial; // elements per index of dim 0
    final long tap = centreOffset;
    ZeroMatrix w = matrixOf(k, scale);
    long p = k.p();
    long q = k.q();
    for (long g = 0; g < k.groups(); g++) {
      if (k.transposed()) {
        // stored [c_in, c_out/g, k...]: element (g*Q + j, i) holds W[i][j]
        long rowBase = g * q;
        w.forEachNonZero((i, j, v) -> sink.accept((rowBase + j) * perRow + i * spatialSize + tap, v));
      } else {
        // stored [c_out, c_in/g, k...]: element (g*P + i, j) holds W[i][j]
        long rowBase = g * p;
        w.forEachNonZero((i, j, v) -> sink.accept((rowBase + i) * perRow + j * spatialSize + tap, v));
      }
    }
  }
}
