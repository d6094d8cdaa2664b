package dev.zeroinit.experiments;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The numerical rank of a matrix the way {@code torch.linalg.matrix_rank} counts it by default: the
 * singular values (EJML's SVD, in double precision) above {@code sigma_max * max(m, n) * eps}, where
 * eps is the machine epsilon of the type the matrix was stored in (2^-23 for float32). The paper's
 * Theorem 1 is about {@code rank(W3 - I)}, which {@link #ofDifferenceFromIdentity} computes.
 */
public final class NumericalRank {
  /** The machine epsilon of float32, 2^-23. */
  public static final double FLOAT32_EPS = Math.ulp(1.0f);

  private NumericalRank() {}

  /**
   * A rank with what it was measured against.
   *
   * @param rank singular values above the tolerance
   * @param largest the largest singular value
   * @param tolerance the threshold, {@code largest * max(m, n) * eps}
   */
  public record Result(int rank, double largest, double tolerance) {}

  /**
   * The rank of the {@code m x n} matrix {@code a} (row-major).
   *
   * @param eps the machine epsilon of the type the values were stored in
   */
  public static Result of(double[] a, int m, int n, double eps) {
    if ((long) m * n != a.length) {
      throw new IllegalArgumentException(a.length + " values are not a " + m + " x " + n + " matrix");
    }
    if (m == 0 || n == 0) {
      return new Result(0, 0, 0);
    }
    for (double v : a) {
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("the matrix holds " + v + "; a rank needs finite values");
      }
    }
    DMatrixRMaj matrix = DMatrixRMaj.wrap(m, n, a.clone());
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(m, n, false, false, true);
    if (!svd.decompose(matrix)) {
      throw new ArithmeticException("the SVD of a " + m + " x " + n + " matrix did not converge");
    }
    double[] s = svd.getSingularValues();
    int k = svd.numberOfSingularValues();
    double largest = 0;
    for (int i = 0; i < k; i++) {
      largest = Math.max(largest, s[i]);
    }
    double tolerance = largest * Math.max(m, n) * eps;
    int rank = 0;
    for (int i = 0; i < k; i++) {
      if (s[i] > tolerance) {
        rank++;
      }
    }
    return new Result(rank, largest, tolerance);
  }

  /** The rank of {@code W - I} for a square {@code n x n} matrix {@code w} (row-major). */
  public static Result ofDifferenceFromIdentity(double[] w, int n, double eps) {
    if ((long) n * n != w.length) {
      throw new IllegalArgumentException(w.length + " values are not a square " + n + " x " + n
          + " matrix");
    }
    double[] d = w.clone();
    for (int i = 0; i < n; i++) {
      d[i * n + i] -= 1;
    }
    return of(d, n, n, eps);
  }
}
