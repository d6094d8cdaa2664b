package dev.zeroinit.onnxio.tensor;

import java.math.BigDecimal;
import java.util.Arrays;

/**
 * A slow, obviously correct double to 16-bit float rounding for tests: every finite non-negative
 * pattern's exact value as a BigDecimal, a binary search, and ties to the even pattern. The value
 * just past the largest finite number, 2^(bias+1), sits at the infinity pattern, so overflow rounds
 * the IEEE way.
 */
final class ReferenceRounding {
  static final ReferenceRounding FLOAT16 = new ReferenceRounding(5, 10);
  static final ReferenceRounding BFLOAT16 = new ReferenceRounding(8, 7);

  private final int infPattern;
  private final BigDecimal[] values; // values[p] = exact value of non-negative pattern p, p <= inf

  private ReferenceRounding(int expBits, int mantBits) {
    int bias = (1 << (expBits - 1)) - 1;
    infPattern = ((1 << expBits) - 1) << mantBits;
    values = new BigDecimal[infPattern + 1];
    for (int p = 0; p <= infPattern; p++) {
      int e = p >>> mantBits;
      int m = p & ((1 << mantBits) - 1);
      values[p] = e == 0
          ? BigDecimal.valueOf(m).multiply(pow2(1 - bias - mantBits))
          : BigDecimal.valueOf((1L << mantBits) + m).multiply(pow2(e - bias - mantBits));
    }
  }

  /** The exact value of non-negative pattern {@code p} (p up to the infinity pattern). */
  BigDecimal exact(int p) {
    return values[p];
  }

  int infPattern() {
    return infPattern;
  }

  /** Correctly rounded pattern for a non-NaN double. */
  short round(double d) {
    int sign = Double.doubleToRawLongBits(d) < 0 ? 0x8000 : 0;
    if (Double.isInfinite(d)) {
      return (short) (sign | infPattern);
    }
    BigDecimal x = new BigDecimal(Math.abs(d));
    if (x.compareTo(values[infPattern]) >= 0) {
      return (short) (sign | infPattern);
    }
    int i = Arrays.binarySearch(values, x, BigDecimal::compareTo);
    if (i >= 0) {
      return (short) (sign | i);
    }
    int hi = -i - 1;
    int lo = hi - 1;
    int c = x.subtract(values[lo]).compareTo(values[hi].subtract(x));
    int p = c < 0 ? lo : c > 0 ? hi : (lo % 2 == 0 ? lo : hi);
    return (short) (sign | p);
  }

  static BigDecimal pow2(int n) {
    return n >= 0
        ? BigDecimal.valueOf(2).pow(n)
        : BigDecimal.valueOf(5).pow(-n).scaleByPowerOfTen(n);
  }
}
