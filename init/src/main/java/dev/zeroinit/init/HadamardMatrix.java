package dev.zeroinit.init;

/**
 * The Sylvester Hadamard matrix: H(1) = [1], H(2n) = [[H, H], [H, -H]], so that
 * H[i][j] = (-1)^popcount(i &amp; j). Entries are computed on demand; no matrix is stored.
 */
public final class HadamardMatrix {
  private HadamardMatrix() { }

  /** The entry H[i][j] of any Sylvester Hadamard matrix large enough to hold (i, j): +1 or -1. */
  public static int sign(long i, long j) {
    return (Long.bitCount(i & j) & 1) == 0 ? 1 : -1;
  }

  /** m = ceil(log2 p): the order 2^m of the smallest Hadamard matrix with at least p rows (p >= 1). */
  public static int order(long p) {
    if (p < 1) {
      throw new IllegalArgumentException("a matrix needs at least one row, got " + p);
    }
    return p == 1 ? 0 : 64 - Long.numberOfLeadingZeros(p - 1);
  }

  /** The full n x n matrix as doubles (n a power of two); for tests and small displays. */
  public static double[][] full(int n) {
    if (Integer.bitCount(n) != 1) {
      throw new IllegalArgumentException("Hadamard order must be a power of two, got " + n);
    }
    double[][] h = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        h[i][j] = sign(i, j);
      }
    }
    return h;
  }
}
