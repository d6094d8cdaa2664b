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

  /** The ZerO values of {@code layout} under {@code scale}. */
  public static SparseValues of(WeightLayout layout, HadamardScale scale) {
    return of(layout, PlanOptions.defaults().withScale(scale), "");
  }

  /**
   * The values of {@code layout} under the options' method; {@code seedKey} (the tensor's name)
   * gives each tensor of a random method its own reproducible stream.
   */
  public static SparseValues of(WeightLayout layout, PlanOptions options, String seedKey) {
    if (!(layout instanceof WeightLayout.Fill) && options.method().isRandom()) {
      return RandomWeights.of(layout, options.method(), options.seed(), seedKey);
    }
    ZeroMatrix w = matrixOf(layout, options);
    if (layout instanceof WeightLayout.MatrixSlices m) {
      return sink -> matrixSlices(m, w, sink);
    }
    if (layout instanceof WeightLayout.ConvKernel k) {
      return sink -> convKernel(k, w, sink);
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

  /** The ZerO matrix a layout places (per slice or per group) under the options; null for fills. */
  public static ZeroMatrix matrixOf(WeightLayout layout, PlanOptions options) {
    boolean hadamard = options.method() != InitMethod.PARTIAL_IDENTITY;
    if (layout instanceof WeightLayout.MatrixSlices m) {
      return new ZeroMatrix(m.p(), m.q(), options.scale(), hadamard);
    }
    if (layout instanceof WeightLayout.ConvKernel k) {
      return new ZeroMatrix(k.p(), k.q(), options.scale(), hadamard);
    }
    return null;
  }

  private static void matrixSlices(WeightLayout.MatrixSlices m, ZeroMatrix w,
      IndexedValueConsumer sink) {
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

  private static void convKernel(WeightLayout.ConvKernel k, ZeroMatrix w,
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
