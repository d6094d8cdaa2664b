package dev.zeroinit.onnxio.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import java.util.function.DoubleToIntFunction;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Float16 and BFloat16: exact decoding, single correct rounding from double, special values. */
class SixteenBitFloatTest {
  private static final IntToDoubleFunction HALF_TO = b -> Float16.toDouble((short) b);
  private static final DoubleToIntFunction HALF_FROM = d -> Float16.fromDouble(d) & 0xFFFF;
  private static final IntToDoubleFunction BF_TO = b -> BFloat16.toDouble((short) b);
  private static final DoubleToIntFunction BF_FROM = d -> BFloat16.fromDouble(d) & 0xFFFF;

  @Test
  void everyFloat16PatternRoundTripsThroughDouble() {
    assertAllPatternsRoundTrip(HALF_TO, HALF_FROM, ReferenceRounding.FLOAT16);
  }

  @Test
  void everyBFloat16PatternRoundTripsThroughDouble() {
    assertAllPatternsRoundTrip(BF_TO, BF_FROM, ReferenceRounding.BFLOAT16);
  }

  private static void assertAllPatternsRoundTrip(
      IntToDoubleFunction to, DoubleToIntFunction from, ReferenceRounding ref) {
    for (int b = 0; b < 0x10000; b++) {
      assertPatternRoundTrips(b, to, from, ref);
    }
  }

  private static void assertPatternRoundTrips(
      int b, IntToDoubleFunction to, DoubleToIntFunction from, ReferenceRounding ref) {
    double d = to.applyAsDouble(b);
    int magnitude = b & 0x7FFF;
    if (magnitude > ref.infPattern()) {
      assertTrue(Double.isNaN(d), () -> "NaN pattern decodes to NaN: " + hex(b));
      int back = from.applyAsInt(d);
      assertTrue((back & 0x7FFF) > ref.infPattern(), () -> "NaN stays NaN: " + hex(b));
      assertEquals(b & 0x8000, back & 0x8000, () -> "NaN keeps its sign: " + hex(b));
      return;
    }
    assertEquals(b, from.applyAsInt(d), () -> "round trip of " + hex(b));
    if (magnitude < ref.infPattern()) {
      assertEquals(0, ref.exact(magnitude).compareTo(new BigDecimal(Math.abs(d))),
          () -> "exact value of " + hex(b));
    }
    assertEquals(b >= 0x8000, Double.doubleToRawLongBits(d) < 0, () -> "sign of " + hex(b));
  }

  @Test
  void bfloat16DecodesLikeTheTopHalfOfAFloat() {
    for (int b = 0; b < 0x10000; b++) {
      float f = Float.intBitsToFloat(b << 16);
      if (!Float.isNaN(f)) {
        assertEquals(Double.doubleToRawLongBits(f), Double.doubleToRawLongBits(BF_TO.applyAsDouble(b)));
      }
    }
  }

  @Test
  void knownFloat16Values() {
    assertEquals(0x3C00, HALF_FROM.applyAsInt(1.0));
    assertEquals(0xBC00, HALF_FROM.applyAsInt(-1.0));
    assertEquals(0x39A8, HALF_FROM.applyAsInt(1 / Math.sqrt(2)));
    assertEquals(0x3800, HALF_FROM.applyAsInt(0.5));
    assertEquals(0x7BFF, HALF_FROM.applyAsInt(65504));
    assertEquals(0x0400, HALF_FROM.applyAsInt(0x1p-14));
    assertEquals(0x0001, HALF_FROM.applyAsInt(0x1p-24));
    assertEquals(0x03FF, HALF_FROM.applyAsInt(0x3FFp-24));
    assertEquals(1.0, HALF_TO.applyAsDouble(0x3C00));
    assertEquals(0x1p-24, HALF_TO.applyAsDouble(0x0001));
    assertEquals(65504.0, HALF_TO.applyAsDouble(0x7BFF));
  }

  @Test
  void knownBFloat16Values() {
    assertEquals(0x3F80, BF_FROM.applyAsInt(1.0));
    assertEquals(0xBF80, BF_FROM.applyAsInt(-1.0));
    assertEquals(0x3F35, BF_FROM.applyAsInt(1 / Math.sqrt(2)));
    assertEquals(0x0001, BF_FROM.applyAsInt(0x1p-133));
    assertEquals(0x0080, BF_FROM.applyAsInt(0x1p-126));
    assertEquals(0x7F7F, BF_FROM.applyAsInt(0x1.FEp127));
    assertEquals(-1.0, BF_TO.applyAsDouble(0xBF80));
  }

  @Test
  void overflowRoundsToInfinityAtTheHalfwayPointPastTheLargestFinite() {
    assertEquals(0x7C00, HALF_FROM.applyAsInt(65520)); // tie between 65504 (odd) and 2^16
    assertEquals(0x7BFF, HALF_FROM.applyAsInt(Math.nextDown(65520.0)));
    assertEquals(0xFC00, HALF_FROM.applyAsInt(-65520));
    assertEquals(0x7C00, HALF_FROM.applyAsInt(1e300));
    assertEquals(0x7C00, HALF_FROM.applyAsInt(Double.POSITIVE_INFINITY));
    assertEquals(0xFC00, HALF_FROM.applyAsInt(Double.NEGATIVE_INFINITY));
    assertEquals(0x7F80, BF_FROM.applyAsInt(0x1.FFp127)); // tie between 0x7F7F (odd) and 2^128
    assertEquals(0x7F7F, BF_FROM.applyAsInt(Math.nextDown(0x1.FFp127)));
    assertEquals(0x7F80, BF_FROM.applyAsInt(Double.MAX_VALUE));
    assertEquals(0xFF80, BF_FROM.applyAsInt(Double.NEGATIVE_INFINITY));
  }

  @Test
  void tiesRoundToEven() {
    assertEquals(0x3C00, HALF_FROM.applyAsInt(1 + 0x1p-11)); // 1 and 1+2^-10: even is 1
    assertEquals(0x3C02, HALF_FROM.applyAsInt(1 + 3 * 0x1p-11)); // up to the even 0x3C02
    assertEquals(0x0000, HALF_FROM.applyAsInt(0x1p-25)); // half the smallest subnormal: to 0
    assertEquals(0x0002, HALF_FROM.applyAsInt(3 * 0x1p-25)); // between subnormals 1 and 2
    assertEquals(0x3F80, BF_FROM.applyAsInt(1 + 0x1p-8));
    assertEquals(0x3F82, BF_FROM.applyAsInt(1 + 3 * 0x1p-8));
    assertEquals(0x0000, BF_FROM.applyAsInt(0x1p-134));
  }

  @Test
  void justAboveATieRoundsUpWhereGoingThroughFloatWouldRoundTwice() {
    // 1 + 2^-11 + 2^-40 is above the tie, but as a float it is exactly the tie, which rounds down.
    double d = 1 + 0x1p-11 + 0x1p-40;
    assertEquals(1 + 0x1p-11, (float) d);
    assertEquals(0x3C01, HALF_FROM.applyAsInt(d));
    assertEquals(0x3C00, HALF_FROM.applyAsInt((float) d));
    double b = 1 + 0x1p-8 + 0x1p-40;
    assertEquals(0x3F81, BF_FROM.applyAsInt(b));
    assertEquals(0x3F80, BF_FROM.applyAsInt((float) b));
    assertEquals(0x0001, HALF_FROM.applyAsInt(Math.nextUp(0x1p-25)));
    assertEquals(0x0001, BF_FROM.applyAsInt(Math.nextUp(0x1p-134)));
  }

  @Test
  void signedZeroNanAndTinyValues() {
    assertEquals(0x0000, HALF_FROM.applyAsInt(0.0));
    assertEquals(0x8000, HALF_FROM.applyAsInt(-0.0));
    assertEquals(0x8000, HALF_FROM.applyAsInt(-Double.MIN_VALUE));
    assertEquals(0x0000, HALF_FROM.applyAsInt(Double.MIN_NORMAL));
    assertEquals(0x8000, BF_FROM.applyAsInt(-0.0));
    assertEquals(0x0000, BF_FROM.applyAsInt(0x1p-140));
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(HALF_TO.applyAsDouble(0x8000)));
    assertTrue(Double.isNaN(HALF_TO.applyAsDouble(HALF_FROM.applyAsInt(Double.NaN))));
    assertTrue(Double.isNaN(BF_TO.applyAsDouble(BF_FROM.applyAsInt(Double.NaN))));
    // A NaN whose payload sits below the kept bits still becomes a NaN, never infinity.
    double lowPayloadNaN = Double.longBitsToDouble(0x7FF0_0000_0000_0001L);
    assertTrue(Double.isNaN(HALF_TO.applyAsDouble(HALF_FROM.applyAsInt(lowPayloadNaN))));
    assertTrue(Double.isNaN(BF_TO.applyAsDouble(BF_FROM.applyAsInt(lowPayloadNaN))));
  }

  @Test
  void float16MatchesBigDecimalReferenceOnRandomAndNearHalfwayDoubles() {
    assertMatchesReference(ReferenceRounding.FLOAT16, HALF_FROM, 10, -30, 20, 1);
  }

  @Test
  void bfloat16MatchesBigDecimalReferenceOnRandomAndNearHalfwayDoubles() {
    assertMatchesReference(ReferenceRounding.BFLOAT16, BF_FROM, 7, -140, 130, 2);
  }

  /**
   * Random doubles over the format's range, and doubles a few ulps and a few float-ulps from a
   * halfway point (where double to float to 16-bit rounds twice and goes wrong); counts the inputs
   * where the float route is wrong to prove the test reaches them.
   */
  private static void assertMatchesReference(ReferenceRounding ref, DoubleToIntFunction from,
      int mantBits, int minExp, int maxExp, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int viaFloatWrong = 0;
    for (int n = 0; n < 60_000; n++) {
      double d;
      switch (n % 3) {
        case 0: { // anywhere in (and around) the range
          int e = minExp + random.nextInt(maxExp - minExp + 1);
          d = Math.scalb(1 + random.nextDouble(), e);
          break;
        }
        case 1: { // a few double ulps from a halfway point
          d = halfway(ref, random).doubleValue();
          int steps = random.nextInt(7) - 3;
          for (; steps > 0; steps--) d = Math.nextUp(d);
          for (; steps < 0; steps++) d = Math.nextDown(d);
          break;
        }
        default: { // within one float ulp of a halfway point: the double-rounding zone
          double mid = halfway(ref, random).doubleValue();
          double off = Math.ulp(mid) * (1 + random.nextInt(1 << 28));
          d = random.nextBoolean() ? mid + off : mid - off;
        }
      }
      if (random.nextBoolean()) {
        d = -d;
      }
      double input = d;
      int expected = ref.round(d) & 0xFFFF;
      assertEquals(expected, from.applyAsInt(d), () -> "rounding " + Double.toHexString(input));
      if (from.applyAsInt((float) d) != expected) {
        viaFloatWrong++;
      }
    }
    assertTrue(viaFloatWrong > 100, "near-halfway inputs that double rounding gets wrong: " + viaFloatWrong);
  }

  private static BigDecimal halfway(ReferenceRounding ref, SplittableRandom random) {
    int p = random.nextInt(ref.infPattern());
    return ref.exact(p).add(ref.exact(p + 1)).divide(BigDecimal.valueOf(2));
  }

  private static String hex(int b) {
    return String.format("0x%04X", b);
  }
}
