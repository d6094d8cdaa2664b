package dev.zeroinit.onnxio.tensor;

/**
 * Exact conversions between double and a 16-bit IEEE-style binary format with {@code expBits}
 * exponent and {@code mantBits} fraction bits (float16: 5/10, bfloat16: 8/7). Rounding works on the
 * double's own 53-bit significand, so it is a single correct rounding (nearest, ties to even) with no
 * intermediate float step.
 */
final class SmallFloat {
  static final SmallFloat FLOAT16 = new SmallFloat(5, 10);
  static final SmallFloat BFLOAT16 = new SmallFloat(8, 7);

  private final int mantBits;
  private final int bias;
  private final int emin;
  private final int expMask;
  private final int infBits;

  private SmallFloat(int expBits, int mantBits) {
    this.mantBits = mantBits;
    this.bias = (1 << (expBits - 1)) - 1;
    this.emin = 1 - bias;
    this.expMask = (1 << expBits) - 1;
    this.infBits = expMask << mantBits;
  }

  short fromDouble(double d) {
    long bits = Double.doubleToRawLongBits(d);
    int sign = (int) (bits >>> 63) << 15;
    int exp = (int) (bits >>> 52) & 0x7FF;
    long frac = bits & 0xF_FFFF_FFFF_FFFFL;
    if (exp == 0x7FF) {
      if (frac == 0) {
        return (short) (sign | infBits);
      }
      int payload = (int) (frac >>> (52 - mantBits));
      return (short) (sign | infBits | (payload != 0 ? payload : 1 << (mantBits - 1)));
    }
    if (exp == 0) {
      // Zero, or a double subnormal (< 2^-1022): far below half the smallest target subnormal.
      return (short) sign;
    }
    int e = exp - 1023;
    if (e > bias) {
      return (short) (sign | infBits);
    }
    long m = frac | (1L << 52);
    // Drop the bits below the target's quantum: 2^(e - mantBits) for normals, 2^(emin - mantBits) below.
    int shift = 52 - mantBits + Math.max(emin - e, 0);
    if (shift >= 54) {
      return (short) sign; // m < 2^53, so the value is below half the smallest subnormal
    }
    long q = m >>> shift;
    long rem = m & ((1L << shift) - 1);
    long half = 1L << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) {
      q++;
    }
    // For a normal, q carries the implicit bit; a carry out of the fraction bumps the exponent, and
    // past the largest exponent lands exactly on the infinity pattern.
    int magnitude = e >= emin ? ((e - emin) << mantBits) + (int) q : (int) q;
    return (short) (sign | magnitude);
  }

  double toDouble(short value) {
    int b = value & 0xFFFF;
    long sign = (long) (b >>> 15) << 63;
    int exp = (b >>> mantBits) & expMask;
    long mant = b & ((1 << mantBits) - 1);
    if (exp == expMask) {
      long payload = mant << (52 - mantBits);
      return Double.longBitsToDouble(sign | 0x7FF0_0000_0000_0000L | payload);
    }
    if (exp == 0) {
      double magnitude = Math.scalb((double) mant, emin - mantBits);
      return sign != 0 ? -magnitude : magnitude;
    }
    long dExp = exp - bias + 1023;
    return Double.longBitsToDouble(sign | (dExp << 52) | (mant << (52 - mantBits)));
  }
}
