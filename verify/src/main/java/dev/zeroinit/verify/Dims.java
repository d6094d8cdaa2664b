package dev.zeroinit.verify;

/** Element counts and printing of tensor dims, with overflow checked. */
public final class Dims {
  private Dims() { }

  /**
   * The product of {@code dims} (1 for a scalar).
   *
   * @throws IllegalArgumentException for a negative dim or a product above {@link Long#MAX_VALUE}
   */
  public static long elementCount(long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dim in " + format(dims));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("too many elements in " + format(dims));
      }
    }
    return n;
  }

  /** e.g. {@code 8x3x224x224}; {@code scalar} for no dims. */
  public static String format(long[] dims) {
    if (dims.length == 0) {
      return "scalar";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < dims.length; i++) {
      b.append(i == 0 ? "" : "x").append(dims[i]);
    }
    return b.toString();
  }
}
