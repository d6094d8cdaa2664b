package dev.zeroinit.init;

/**
 * The ZerO matrix for one P x Q weight (P outputs, Q inputs): identity, partial identity, or a
 * scaled Hadamard block. Pure: it enumerates its non-zero entries and their exact values.
 *
 * @param rows P
 * @param cols Q
 * @param scale which Hadamard factor applies when P &gt; Q
 * @param hadamard false for the paper's partial-identity ablation: P &gt; Q also gets W[i][i] = 1
 */
public record ZeroMatrix(long rows, long cols, HadamardScale scale, boolean hadamard) {

  /** Receives one non-zero entry. */
  @FunctionalInterface
  public interface EntryConsumer {
    void accept(long row, long col, double value);
  }

  public ZeroMatrix {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("matrix must be at least 1 x 1, got " + rows + " x " + cols);
    }
  }

  /** ZerO proper: Hadamard blocks for P &gt; Q. */
  public ZeroMatrix(long rows, long cols, HadamardScale scale) {
    this(rows, cols, scale, true);
  }

  public MatrixRule rule() {
    MatrixRule r = MatrixRule.of(rows, cols);
    return r == MatrixRule.HADAMARD && !hadamard ? MatrixRule.PARTIAL_IDENTITY : r;
  }

  /** m = ceil(log2 P) for the Hadamard case, else 0. */
  public int hadamardOrder() {
    return rule() == MatrixRule.HADAMARD ? HadamardMatrix.order(rows) : 0;
  }

  /** The Hadamard factor c, or 1 for the identity cases. */
  public double factor() {
    return rule() == MatrixRule.HADAMARD ? scale.factor(hadamardOrder()) : 1.0;
  }

  /** W[i][j]. */
  public double value(long i, long j) {
    return switch (rule()) {
      case IDENTITY, PARTIAL_IDENTITY -> i == j ? 1.0 : 0.0;
      case HADAMARD -> HadamardMatrix.sign(i, j) * factor();
    };
  }

  /** Calls {@code sink} for every non-zero entry, row by row. */
  public void forEachNonZero(EntryConsumer sink) {
    if (rule() == MatrixRule.HADAMARD) {
      double c = factor();
      for (long i = 0; i < rows; i++) {
        for (long j = 0; j < cols; j++) {
          sink.accept(i, j, HadamardMatrix.sign(i, j) == 1 ? c : -c);
        }
      }
    } else {
      long n = Math.min(rows, cols);
      for (long i = 0; i < n; i++) {
        sink.accept(i, i, 1.0);
      }
    }
  }

  /** The whole matrix, for tests and displays of small shapes. */
  public double[][] toArray() {
    double[][] a = new double[Math.toIntExact(rows)][Math.toIntExact(cols)];
    forEachNonZero((i, j, v) -> a[(int) i][(int) j] = v);
    return a;
  }
}
