package dev.zeroinit.onnxio.build;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Deterministic pseudo-random weight values. Each tensor draws from its own
 * {@link SplittableRandom} keyed by (seed, tensor name), so a tensor's values depend only on the seed
 * and its name, not on how many values were drawn before it or on its element type.
 */
final class SeededValues {
  private final long seed;

  SeededValues(long seed) {
    this.seed = seed;
  }

  long seed() {
    return seed;
  }

  /** {@code n} values uniform in [lo, hi), the stream keyed by {@code key}. */
  float[] uniform(String key, int n, double lo, double hi) {
    SplittableRandom random = stream(key);
    float[] values = new float[n];
    double width = hi - lo;
    for (int i = 0; i < n; i++) {
      values[i] = (float) (lo + width * random.nextDouble());
    }
    return values;
  }

  private SplittableRandom stream(String key) {
    // FNV-1a over the UTF-8 name, then mixed with the seed; SplittableRandom scrambles the result.
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return new SplittableRandom(h ^ (seed * 0x9e3779b97f4a7c15L + 0x632be59bd9b4e019L));
  }
}
