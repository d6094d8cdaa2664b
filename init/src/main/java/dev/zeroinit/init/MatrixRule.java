package dev.zeroinit.init;

/** Which ZerO case a P x Q matrix falls in (DESIGN.md §2). */
public enum MatrixRule {
  /** P = Q: the identity. */
  IDENTITY("identity"),
  /** P &lt; Q: W[i][j] = 1 if i = j, else 0. */
  PARTIAL_IDENTITY("partial-identity"),
  /** P &gt; Q: c times the top-left P x Q block of H(2^m), m = ceil(log2 P). */
  HADAMARD("hadamard");

  private final String label;

  MatrixRule(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** The rule for a matrix mapping Q inputs to P outputs. */
  public static MatrixRule of(long p, long q) {
    return p == q ? IDENTITY : p < q ? PARTIAL_IDENTITY : HADAMARD;
  }
}
