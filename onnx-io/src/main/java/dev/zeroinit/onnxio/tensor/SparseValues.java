package dev.zeroinit.onnxio.tensor;

import java.util.Objects;

/**
 * A tensor's values given by its non-zero entries (flat row-major index, exact value); every element
 * not reported is +0.0. ZerO tensors are mostly zeros, so encoders allocate zeroed storage and write
 * only these entries. An index reported twice keeps its last value; -0.0 must be reported to be
 * kept.
 */
@FunctionalInterface
public interface SparseValues {
  void forEachNonZero(IndexedValueConsumer sink);

  /** All elements +0.0. */
  static SparseValues zeros() {
    return sink -> {};
  }

  /** The entries of a dense array whose bit pattern is not +0.0 (so -0.0 and NaN are reported). */
  static SparseValues ofDense(double[] values) {
    Objects.requireNonNull(values, "values");
    return sink -> {
      for (int i = 0; i < values.length; i++) {
        double v = values[i];
        if (Double.doubleToRawLongBits(v) != 0L) {
          sink.accept(i, v);
        }
      }
    };
  }
}
