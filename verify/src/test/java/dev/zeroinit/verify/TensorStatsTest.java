package dev.zeroinit.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.tensor.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** RMS, mean, max |x|, zeros, finiteness and the numerical rank of the batch matrix. */
class TensorStatsTest {
  static ByteBuffer floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.flip();
  }

  @Test
  void momentsZerosAndFiniteness() {
    TensorStats s = TensorStats.of(DataType.FLOAT, new long[] {2, 2}, floats(3, -4, 0, 0));
    assertEquals(Math.sqrt(25.0 / 4), s.rms(), 1e-12);
    assertEquals(-0.25, s.mean(), 1e-12);
    assertEquals(4, s.maxAbs());
    assertEquals(0.5, s.zeroFraction());
    assertTrue(s.finite());
    TensorStats nan = TensorStats.of(DataType.FLOAT, new long[] {3}, floats(1, Float.NaN, Float.POSITIVE_INFINITY));
    assertFalse(nan.finite());
    assertEquals(2, nan.nonFinite());
    assertEquals(-1, nan.rank());
    TensorStats zero = TensorStats.of(DataType.FLOAT, new long[] {4, 3}, floats(new float[12]));
    assertTrue(zero.allZero());
    assertEquals(0, zero.rank());
  }

  @Test
  void rankOfAKnownLowRankBatch() {
    // 8 samples x 50 features, each sample a combination of 3 fixed random vectors: rank 3
    SplittableRandom r = new SplittableRandom(1);
    float[][] basis = new float[3][50];
    for (float[] v : basis) {
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) r.nextGaussian();
      }
    }
    float[] m = new float[8 * 50];
    for (int i = 0; i < 8; i++) {
      double[] c = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      for (int j = 0; j < 50; j++) {
        m[i * 50 + j] = (float) (c[0] * basis[0][j] + c[1] * basis[1][j] + c[2] * basis[2][j]);
      }
    }
    TensorStats s = TensorStats.of(DataType.FLOAT, new long[] {8, 5, 10}, floats(m));
    assertEquals(3, s.rank());
    assertEquals(8, s.rankRows());
    assertEquals(50, s.rankCols());
    assertEquals(50, s.features());
    assertTrue(s.tolerance() > 0);
  }

  @Test
  void wideTensorsAreSampledToTheFeatureCap() {
    int features = 3 * VerifyConfig.RANK_MAX_FEATURES + 7;
    SplittableRandom r = new SplittableRandom(2);
    float[] m = new float[4 * features];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) r.nextGaussian();
    }
    TensorStats s = TensorStats.of(DataType.FLOAT, new long[] {4, features}, floats(m));
    assertEquals(VerifyConfig.RANK_MAX_FEATURES, s.rankCols());
    assertEquals(features, s.features());
    assertEquals(4, s.rank());
  }

  @Test
  void halfPrecisionUsesItsOwnEpsilon() {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : new double[] {1, 2, 2, 4.001}) {
      b.putShort(dev.zeroinit.onnxio.tensor.Float16.fromDouble(v));
    }
    // rows [1, 2] and [2, 4.001]: 4.001 rounds to 4 in float16, so rank 1
    TensorStats s = TensorStats.of(DataType.FLOAT16, new long[] {2, 2}, b.flip());
    assertEquals(1, s.rank());
    assertEquals(Math.sqrt(25.0 / 4), s.rms(), 1e-12);
  }
}
