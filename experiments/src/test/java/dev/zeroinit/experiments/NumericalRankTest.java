package dev.zeroinit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class NumericalRankTest {
  private static final double EPS = NumericalRank.FLOAT32_EPS;

  @Test
  void identityMinusIdentityHasRankZero() {
    int n = 50;
    double[] w = new double[n * n];
    for (int i = 0; i < n; i++) {
      w[i * n + i] = 1;
    }
    assertEquals(0, NumericalRank.ofDifferenceFromIdentity(w, n, EPS).rank());
  }

  @Test
  void countsExactlyTheDiagonalEntriesThatMoved() {
    int n = 40;
    double[] w = new double[n * n];
    for (int i = 0; i < n; i++) {
      w[i * n + i] = 1;
    }
    w[3 * n + 3] = 1.5;
    w[17 * n + 17] = 0.25;
    w[39 * n + 39] = -2;
    assertEquals(3, NumericalRank.ofDifferenceFromIdentity(w, n, EPS).rank());
  }

  @Test
  void theClassicThreeByThreeHasRankTwo() {
    double[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    assertEquals(2, NumericalRank.of(a, 3, 3, EPS).rank());
  }

  @Test
  void aSumOfKOuterProductsHasRankK() {
    Random r = new Random(4);
    int m = 60;
    int n = 35;
    double[] a = new double[m * n];
    for (int k = 0; k < 7; k++) {
      double[] u = r.doubles(m).toArray();
      double[] v = r.doubles(n).toArray();
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          a[i * n + j] += u[i] * v[j];
        }
      }
    }
    assertEquals(7, NumericalRank.of(a, m, n, EPS).rank());
  }

  @Test
  void singularValuesAtOrBelowTheToleranceAreNotCounted() {
    // diag(1, 1e-3, 1e-9): tolerance 1 * 3 * 2^-23 = 3.6e-7 keeps two
    double[] a = {1, 0, 0, 0, 1e-3, 0, 0, 0, 1e-9};
    NumericalRank.Result r = NumericalRank.of(a, 3, 3, EPS);
    assertEquals(2, r.rank());
    assertEquals(1.0, r.largest(), 1e-15);
    assertEquals(3 * EPS, r.tolerance(), 1e-20);
  }

  @Test
  void refusesNonFiniteValuesAndWrongSizes() {
    assertThrows(IllegalArgumentException.class,
        () -> NumericalRank.of(new double[] {1, Double.NaN, 0, 1}, 2, 2, EPS));
    assertThrows(IllegalArgumentException.class,
        () -> NumericalRank.ofDifferenceFromIdentity(new double[6], 2, EPS));
  }
}
