package dev.zeroinit.finetune.data;

import java.util.SplittableRandom;

/**
 * Seeded permutations: Fisher–Yates over a {@link SplittableRandom}, so the same seed gives the same
 * order on every machine and JVM.
 */
public final class Shuffle {
  private Shuffle() {}

  /** {@code [0, 1, ..., n-1]}. */
  public static int[] identity(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    return a;
  }

  /** Shuffles {@code a} in place (Fisher–Yates, from the last element down). */
  public static void shuffle(int[] a, SplittableRandom random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** A permutation of {@code [0, n)} determined by {@code seed}. */
  public static int[] permutation(int n, long seed) {
    int[] a = identity(n);
    shuffle(a, new SplittableRandom(seed));
    return a;
  }

  /**
   * A seed derived from {@code seed} and {@code keys} (for example an epoch and a batch number), so
   * that each purpose draws from its own stream: every key is folded in through the SplitMix64
   * finaliser.
   */
  public static long derive(long seed, long... keys) {
    long h = mix(seed ^ 0x6a09e667f3bcc909L);
    for (long k : keys) {
      h = mix(h + 0x9e3779b97f4a7c15L * (k + 1));
    }
    return h;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
