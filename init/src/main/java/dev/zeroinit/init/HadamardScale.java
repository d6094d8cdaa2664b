package dev.zeroinit.init;

/**
 * The factor c in front of the Hadamard block for a dimension-increasing layer. The paper's
 * Algorithm 1 writes c = 2^(-(m-1)/2); the authors' published notebook uses the orthonormal
 * c = 2^(-m/2). Both are exact to the last bit: powers of two are exact, and odd powers of
 * sqrt(1/2) use the correctly rounded square root.
 */
public enum HadamardScale {
  /** c = 2^(-(m-1)/2), the paper's Algorithm 1 (default). */
  PAPER,
  /** c = 2^(-m/2), H scaled to be orthonormal. */
  ORTHONORMAL;

  /** c for a Hadamard matrix of order 2^m. */
  public double factor(int m) {
    int halfSteps = this == PAPER ? m - 1 : m; // c = 2^(-halfSteps/2)
    if (halfSteps % 2 == 0) {
      return Math.scalb(1.0, -halfSteps / 2);
    }
    // 2^(-k/2) for odd k = sqrt(1/2) * 2^(-(k-1)/2); Math.sqrt is correctly rounded, scalb exact.
    return Math.scalb(Math.sqrt(0.5), -Math.floorDiv(halfSteps - 1, 2));
  }

  /** The option spelling: {@code paper} or {@code orthonormal}. */
  public String optionName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code paper|orthonormal}. */
  public static HadamardScale parse(String s) {
    return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
