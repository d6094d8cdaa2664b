package dev.zeroinit.init;

import dev.zeroinit.onnxio.tensor.IndexedValueConsumer;
import dev.zeroinit.onnxio.tensor.SparseValues;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.decomposition.qr.QRDecompositionHouseholderColumn_DDRM;

/**
 * The random baselines, with fan-in and fan-out taken from the same P x Q and kernel analysis as
 * ZerO, so a weight stored transposed gets the same distribution as one stored plainly. fan_in = Q
 * times the kernel's receptive field, fan_out = P times groups times the receptive field (for Conv
 * this is exactly PyTorch's {@code _calculate_fan_in_and_fan_out}). Each tensor draws from its own
 * stream, seeded by the run's seed and the tensor's name, so results do not depend on plan order.
 */
final class RandomWeights {
  private RandomWeights() { }

  /** The fans of a layout: {fan_in, fan_out}. */
  static long[] fans(WeightLayout layout) {
    if (layout instanceof WeightLayout.MatrixSlices m) {
      return new long[] {m.q(), m.p()};
    }
    WeightLayout.ConvKernel k = (WeightLayout.ConvKernel) layout;
    long receptive = 1;
    for (int d = 2; d < k.shape().length; d++) {
      receptive *= k.shape()[d];
    }
    return new long[] {k.q() * receptive, k.p() * k.groups() * receptive};
  }

  /** The standard deviation (normal methods) or bound (uniform methods) the method uses here. */
  static double spread(InitMethod method, WeightLayout layout) {
    long[] f = fans(layout);
    double fanIn = f[0];
    double fanOut = f[1];
    double gain = Math.sqrt(2.0); // ReLU, as kaiming_normal_'s default leaky_relu with a = 0
    return switch (method) {
      case KAIMING_NORMAL -> gain / Math.sqrt(fanIn);
      case KAIMING_UNIFORM -> gain * Math.sqrt(3.0 / fanIn);
      case XAVIER_NORMAL -> Math.sqrt(2.0 / (fanIn + fanOut));
      case XAVIER_UNIFORM -> Math.sqrt(6.0 / (fanIn + fanOut));
      case ORTHOGONAL -> 1.0; // the gain
      default -> throw new IllegalArgumentException(method + " is not random");
    };
  }

  /** The values of {@code layout} as the consumer sees them. */
  static SparseValues of(WeightLayout layout, InitMethod method, long seed, String seedKey) {
    long streamSeed = seed * 0x9E3779B97F4A7C15L ^ fnv(seedKey);
    if (method == InitMethod.ORTHOGONAL) {
      return sink -> orthogonal(layout, new SplittableRandom(streamSeed), sink);
    }
    double spread = spread(method, layout);
    boolean normal = method == InitMethod.KAIMING_NORMAL || method == InitMethod.XAVIER_NORMAL;
    return sink -> {
      SplittableRandom r = new SplittableRandom(streamSeed);
      long n = WeightValues.size(layout.shape());
      for (long i = 0; i < n; i++) {
        double v = normal ? r.nextGaussian() * spread : (r.nextDouble() * 2 - 1) * spread;
        sink.accept(i, v);
      }
    };
  }

  /**
   * Per slice (matrices) or per group (kernels), the P x (Q * receptive field) matrix with
   * orthonormal rows (or columns, when it is tall), as {@code torch.nn.init.orthogonal_} builds it.
   */
  private static void orthogonal(WeightLayout layout, SplittableRandom r, IndexedValueConsumer sink) {
    if (layout instanceof WeightLayout.MatrixSlices m) {
      int p = Math.toIntExact(m.p());
      int q = Math.toIntExact(m.q());
      long cols = m.cols();
      for (long s = 0; s < m.slices(); s++) {
        double[][] w = orthogonalMatrix(p, q, r);
        long base = s * m.rows() * cols;
        for (int i = 0; i < p; i++) {
          for (int j = 0; j < q; j++) {
            sink.accept(m.transposed() ? base + (long) j * cols + i : base + (long) i * cols + j, w[i][j]);
          }
        }
      }
      return;
    }
    WeightLayout.ConvKernel k = (WeightLayout.ConvKernel) layout;
    long[] shape = k.shape();
    int receptive = 1;
    for (int d = 2; d < shape.length; d++) {
      receptive *= (int) shape[d];
    }
    int p = Math.toIntExact(k.p());
    int q = Math.toIntExact(k.q());
    long perRow = shape[1] * receptive;
    for (long g = 0; g < k.groups(); g++) {
      double[][] w = orthogonalMatrix(p, q * receptive, r);
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < q; j++) {
          for (int t = 0; t < receptive; t++) {
            long index = k.transposed()
                ? (g * q + j) * perRow + (long) i * receptive + t
                : (g * p + i) * perRow + (long) j * receptive + t;
            sink.accept(index, w[i][j * receptive + t]);
          }
        }
      }
    }
  }

  private static double[][] orthogonalMatrix(int rows, int cols, SplittableRandom r) {
    boolean wide = rows < cols;
    int m = wide ? cols : rows; // QR of the tall orientation
    int n = wide ? rows : cols;
    DMatrixRMaj a = new DMatrixRMaj(m, n);
    for (int i = 0; i < m * n; i++) {
      a.data[i] = r.nextGaussian();
    }
    QRDecompositionHouseholderColumn_DDRM qr = new QRDecompositionHouseholderColumn_DDRM();
    if (!qr.decompose(a)) {
      throw new IllegalStateException("QR decomposition failed");
    }
    DMatrixRMaj q = qr.getQ(null, true);
    DMatrixRMaj rr = qr.getR(null, true);
    double[][] out = new double[rows][cols];
    for (int j = 0; j < n; j++) {
      double sign = Math.signum(rr.get(j, j));
      if (sign == 0) {
        sign = 1;
      }
      for (int i = 0; i < m; i++) {
        double v = q.get(i, j) * sign;
        if (wide) {
          out[j][i] = v;
        } else {
          out[i][j] = v;
        }
      }
    }
    return out;
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
