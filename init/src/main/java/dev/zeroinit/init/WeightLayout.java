package dev.zeroinit.init;

import java.util.Arrays;

/**
 * How a tensor, as its consumer sees it, holds the P x Q matrix ZerO defines. The planner derives a
 * layout from the consumer's op and attributes; {@link WeightValues} turns it into values.
 */
public sealed interface WeightLayout {

  /** The shape the consumer sees. */
  long[] shape();

  /** Short description for the plan, e.g. {@code "slice = W^T"}. */
  String orientation();

  /**
   * A stack of 2-D slices {@code [..., R, C]}, each the same matrix: W itself (P = R, Q = C) or its
   * transpose (P = C, Q = R). Gemm weights have no stacking dims.
   */
  record MatrixSlices(long[] shape, boolean transposed) implements WeightLayout {
    public long rows() {
      return shape[shape.length - 2];
    }

    public long cols() {
      return shape[shape.length - 1];
    }

    public long p() {
      return transposed ? cols() : rows();
    }

    public long q() {
      return transposed ? rows() : cols();
    }

    public long slices() {
      long s = 1;
      for (int d = 0; d < shape.length - 2; d++) {
        s *= shape[d];
      }
      return s;
    }

    @Override
    public String orientation() {
      return (shape.length > 2 ? "each slice = " : "stored = ") + (transposed ? "W^T" : "W");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof MatrixSlices m && m.transposed == transposed && Arrays.equals(m.shape, shape);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(shape) * 31 + (transposed ? 1 : 0);
    }
  }

  /**
   * A convolution kernel. Conv stores {@code [c_out, c_in/g, k...]}: per group W (P = c_out/g,
   * Q = c_in/g) at the spatial centre. ConvTranspose ({@code transposed}) stores
   * {@code [c_in, c_out/g, k...]}: per group W^T with P = c_out/g, Q = c_in/g.
   */
  record ConvKernel(long[] shape, long groups, boolean transposed) implements WeightLayout {
    public long p() {
      return transposed ? shape[1] : shape[0] / groups;
    }

    public long q() {
      return transposed ? shape[0] / groups : shape[1];
    }

    /** floor(k_d / 2) for every spatial dim. */
    public long[] centre() {
      long[] c = new long[shape.length - 2];
      for (int d = 0; d < c.length; d++) {
        c[d] = shape[d + 2] / 2;
      }
      return c;
    }

    /** True when some spatial dim is even, so the "centre" is floor(k/2), not a true centre. */
    public boolean hasEvenKernel() {
      for (int d = 2; d < shape.length; d++) {
        if (shape[d] % 2 == 0) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String orientation() {
      return (transposed ? "per group W^T" : "per group W") + " at kernel centre "
          + Arrays.toString(centre());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ConvKernel k && k.groups == groups && k.transposed == transposed
          && Arrays.equals(k.shape, shape);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(shape) * 31 + Long.hashCode(groups) * 2 + (transposed ? 1 : 0);
    }
  }

  /** Every element the same value: zero biases, normalisation scales of one. */
  record Fill(long[] shape, double value) implements WeightLayout {
    @Override
    public String orientation() {
      return "all " + (value == 0 ? "0" : value == 1 ? "1" : Double.toString(value));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Fill f && Double.compare(f.value, value) == 0 && Arrays.equals(f.shape, shape);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(shape) * 31 + Double.hashCode(value);
    }
  }
}
