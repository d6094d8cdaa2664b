package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ZeroMatrixTest {

  @Test
  void squareMatrixIsTheIdentity() {
    double[][] w = new ZeroMatrix(784, 784, HadamardScale.PAPER).toArray();
    for (int i = 0; i < 784; i++) {
      for (int j = 0; j < 784; j++) {
        assertEquals(i == j ? 1.0 : 0.0, w[i][j], "W[" + i + "][" + j + "]");
      }
    }
    assertEquals(MatrixRule.IDENTITY, new ZeroMatrix(784, 784, HadamardScale.PAPER).rule());
  }

  @ParameterizedTest(name = "{0} x {1}")
  @CsvSource({"10, 784", "3, 100", "1, 5", "255, 256"})
  void fewerOutputsThanInputsIsAPartialIdentity(int p, int q) {
    ZeroMatrix m = new ZeroMatrix(p, q, HadamardScale.PAPER);
    assertEquals(MatrixRule.PARTIAL_IDENTITY, m.rule());
    double[][] w = m.toArray();
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < q; j++) {
        assertEquals(i == j ? 1.0 : 0.0, w[i][j], "W[" + i + "][" + j + "]");
      }
    }
  }

  /** P > Q: c times the top-left P x Q block of H(2^m), m = ceil(log2 P), c = 2^(-(m-1)/2). */
  @ParameterizedTest(name = "{0} x {1}: m = {2}")
  @CsvSource({"1000, 784, 10", "100, 3, 7", "1024, 784, 10", "2, 1, 1", "6, 4, 3", "17, 16, 5"})
  void moreOutputsThanInputsIsAScaledHadamardBlock(int p, int q, int m) {
    ZeroMatrix paper = new ZeroMatrix(p, q, HadamardScale.PAPER);
    ZeroMatrix ortho = new ZeroMatrix(p, q, HadamardScale.ORTHONORMAL);
    assertEquals(MatrixRule.HADAMARD, paper.rule());
    assertEquals(m, paper.hadamardOrder());
    double cPaper = Math.pow(2, -(m - 1) / 2.0);
    double cOrtho = Math.pow(2, -m / 2.0);
    assertEquals(cPaper, paper.factor(), 0.0);
    assertEquals(cOrtho, ortho.factor(), 0.0);
    double[][] h = HadamardMatrix.full(1 << m);
    double[][] w = paper.toArray();
    double[][] wo = ortho.toArray();
    for (int i = 0; i < p; i++) {
      for (int j = 0; j < q; j++) {
        assertEquals(cPaper * h[i][j], w[i][j], 0.0, "paper W[" + i + "][" + j + "]");
        assertEquals(cOrtho * h[i][j], wo[i][j], 0.0, "orthonormal W[" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void hadamardFactorsAreTheCorrectlyRoundedPowersOfTwo() {
    assertEquals(1.0, HadamardScale.PAPER.factor(1), 0.0);
    assertEquals(0x1.6a09e667f3bcdp-1, HadamardScale.PAPER.factor(2), 0.0); // 1/sqrt(2)
    assertEquals(0.5, HadamardScale.PAPER.factor(3), 0.0);
    assertEquals(0x1.6a09e667f3bcdp-6, HadamardScale.PAPER.factor(12), 0.0);
    assertEquals(0x1.6a09e667f3bcdp-1, HadamardScale.ORTHONORMAL.factor(1), 0.0);
    assertEquals(0.5, HadamardScale.ORTHONORMAL.factor(2), 0.0);
    assertEquals(0.0625, HadamardScale.ORTHONORMAL.factor(8), 0.0);
  }

  @ParameterizedTest(name = "n = {0}")
  @CsvSource({"1", "2", "4", "8", "64", "256"})
  void sylvesterHadamardTimesItsTransposeIsNTimesTheIdentity(int n) {
    double[][] h = HadamardMatrix.full(n);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double dot = 0;
        for (int k = 0; k < n; k++) {
          dot += h[i][k] * h[j][k];
        }
        assertEquals(i == j ? n : 0, dot, 0.0, "(H H^T)[" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void sylvesterConstructionMatchesTheRecursiveDefinition() {
    // H(2n) = [[H, H], [H, -H]]
    double[][] h4 = HadamardMatrix.full(4);
    double[][] h8 = HadamardMatrix.full(8);
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        assertEquals(h4[i][j], h8[i][j]);
        assertEquals(h4[i][j], h8[i][j + 4]);
        assertEquals(h4[i][j], h8[i + 4][j]);
        assertEquals(-h4[i][j], h8[i + 4][j + 4]);
      }
    }
  }

  @Test
  void orderIsTheCeilingOfLog2() {
    assertEquals(0, HadamardMatrix.order(1));
    assertEquals(1, HadamardMatrix.order(2));
    assertEquals(2, HadamardMatrix.order(3));
    assertEquals(10, HadamardMatrix.order(1000));
    assertEquals(10, HadamardMatrix.order(1024));
    assertEquals(11, HadamardMatrix.order(1025));
    assertThrows(IllegalArgumentException.class, () -> HadamardMatrix.order(0));
  }
}
