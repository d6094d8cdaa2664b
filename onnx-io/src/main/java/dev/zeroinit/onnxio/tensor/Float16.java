package dev.zeroinit.onnxio.tensor;

/**
 * IEEE 754 binary16 (ONNX FLOAT16) as raw 16-bit patterns. ZerO values must land in the tensor's own
 * type exactly, so conversion from double is one correct rounding (nearest, ties to even) with
 * subnormals, overflow to infinity, NaN and signed zero; conversion to double is exact.
 */
public final class Float16 {
  private Float16() {}

  /** The binary16 pattern nearest to {@code value} (ties to even), rounded directly from the double. */
  public static short fromDouble(double value) {
    return SmallFloat.FLOAT16.fromDouble(value);
  }

  /** The exact value of the binary16 pattern {@code bits}. */
  public static double toDouble(short bits) {
    return SmallFloat.FLOAT16.toDouble(bits);
  }
}
