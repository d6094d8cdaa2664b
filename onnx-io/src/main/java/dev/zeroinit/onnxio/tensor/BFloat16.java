package dev.zeroinit.onnxio.tensor;

/**
 * bfloat16 (ONNX BFLOAT16: the top half of a float32) as raw 16-bit patterns. Conversion from double
 * is one correct rounding (nearest, ties to even) with subnormals, overflow to infinity, NaN and signed
 * zero, never a double rounding through float; conversion to double is exact.
 */
public final class BFloat16 {
  private BFloat16() {}

  /** The bfloat16 pattern nearest to {@code value} (ties to even), rounded directly from the double. */
  public static short fromDouble(double value) {
    return SmallFloat.BFLOAT16.fromDouble(value);
  }

  /** The exact value of the bfloat16 pattern {@code bits}. */
  public static double toDouble(short bits) {
    return SmallFloat.BFLOAT16.toDouble(bits);
  }
}
