package dev.zeroinit.verify;

import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Statistics of one float tensor: RMS, mean, max |x|, fraction of exact zeros, count of non-finite
 * values, and the numerical rank of its batch representation.
 *
 * <p>Rank: the tensor is flattened to a matrix of rows = its first dim (the batch) and columns = the
 * product of the others (features). At most {@link VerifyConfig#RANK_MAX_ROWS} rows (the first ones)
 * and {@link VerifyConfig#RANK_MAX_FEATURES} columns (every k-th, evenly spread) are kept. Its singular
 * values come from EJML's SVD in double precision; the rank counts those above
 * {@code tol = s_max * max(m, n) * eps}, with m x n the matrix kept and eps the machine epsilon of the
 * tensor's type (2^-23 for float32, 2^-10 float16, 2^-7 bfloat16, 2^-52 float64), the rule NumPy's
 * {@code matrix_rank} uses. Not computed (-1) when a value is not finite.
 *
 * @param type element type
 * @param shape dims
 * @param count elements
 * @param rms root mean square (over all values; NaN or infinite when one is)
 * @param mean mean
 * @param maxAbs largest |x|
 * @param zeroFraction fraction of values that are exactly 0 (or -0)
 * @param nonFinite count of NaN and infinite values
 * @param rank numerical rank of the kept matrix, -1 when not computed
 * @param rankRows rows kept (m)
 * @param rankCols columns kept (n)
 * @param features columns before sampling
 * @param tolerance the tolerance the rank used
 */
public record TensorStats(DataType type, long[] shape, long count, double rms, double mean, double maxAbs,
    double zeroFraction, long nonFinite, int rank, int rankRows, int rankCols, long features, double tolerance) {

  public boolean finite() {
    return nonFinite == 0;
  }

  public boolean allZero() {
    return count > 0 && zeroFraction == 1.0;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** Machine epsilon of a float type. */
  static double eps(DataType t) {
    return switch (t) {
      case FLOAT16 -> 0x1p-10;
      case BFLOAT16 -> 0x1p-7;
      case DOUBLE -> 0x1p-52;
      default -> 0x1p-23;
    };
  }

  /** The statistics of a float tensor held little- or native-endian in {@code raw} (position 0). */
  public static TensorStats of(DataType type, long[] shape, ByteBuffer raw) {
    return of(type, shape, raw, true);
  }

  /** As {@link #of(DataType, long[], ByteBuffer)}; without the rank when {@code withRank} is false. */
  public static TensorStats of(DataType type, long[] shape, ByteBuffer raw, boolean withRank) {
    if (!type.isZeroInitFloat()) {
      throw new IllegalArgumentException("statistics are for float tensors, not " + type.onnxName());
    }
    ByteBuffer b = raw.duplicate().order(raw.order());
    long n = Dims.elementCount(shape);
    double sumSq = 0;
    double sum = 0;
    double maxAbs = 0;
    long zeros = 0;
    long nonFinite = 0;
    if (type == DataType.FLOAT) {
      // the common case, in chunks through a float view: a loop the JIT vectorises
      java.nio.FloatBuffer fb = b.asFloatBuffer();
      float[] chunk = new float[(int) Math.min(n, 1 << 16)];
      for (long done = 0; done < n; ) {
        int len = (int) Math.min(chunk.length, n - done);
        fb.get(chunk, 0, len);
        // four independent accumulators: the additions of one do not wait for the others
        double sq0 = 0;
        double sq1 = 0;
        double sq2 = 0;
        double sq3 = 0;
        double su0 = 0;
        double su1 = 0;
        double su2 = 0;
        double su3 = 0;
        float mx = 0;
        int z = 0;
        int bad = 0;
        int i = 0;
        for (; i + 3 < len; i += 4) {
          float v0 = chunk[i];
          float v1 = chunk[i + 1];
          float v2 = chunk[i + 2];
          float v3 = chunk[i + 3];
          sq0 += v0 * (double) v0;
          sq1 += v1 * (double) v1;
          sq2 += v2 * (double) v2;
          sq3 += v3 * (double) v3;
          su0 += v0;
          su1 += v1;
          su2 += v2;
          su3 += v3;
          mx = Math.max(mx, Math.max(Math.max(Math.abs(v0), Math.abs(v1)), Math.max(Math.abs(v2), Math.abs(v3))));
          z += (v0 == 0 ? 1 : 0) + (v1 == 0 ? 1 : 0) + (v2 == 0 ? 1 : 0) + (v3 == 0 ? 1 : 0);
        }
        for (; i < len; i++) {
          float v = chunk[i];
          sq0 += v * (double) v;
          su0 += v;
          mx = Math.max(mx, Math.abs(v));
          z += v == 0 ? 1 : 0;
        }
        double sq = (sq0 + sq1) + (sq2 + sq3);
        double su = (su0 + su1) + (su2 + su3);
        if (!Double.isFinite(sq) || Float.isNaN(mx)) {
          for (int k = 0; k < len; k++) {
            bad += Float.isFinite(chunk[k]) ? 0 : 1;
          }
        }
        sumSq += sq;
        sum += su;
        maxAbs = Math.max(maxAbs, mx);
        zeros += z;
        nonFinite += bad;
        done += len;
      }
      if (nonFinite > 0 && Double.isNaN(sum)) {
        maxAbs = Double.NaN; // as the other types report it
      }
    } else {
      for (int i = 0; i < n; i++) {
        double v = value(b, type, i);
        if (!Double.isFinite(v)) {
          nonFinite++;
        }
        if (v == 0) {
          zeros++;
        }
        sumSq += v * v;
        sum += v;
        double a = Math.abs(v);
        if (a > maxAbs || Double.isNaN(a)) {
          maxAbs = Double.isNaN(maxAbs) ? maxAbs : a;
        }
      }
    }
    double rms = n == 0 ? 0 : Math.sqrt(sumSq / n);
    double mean = n == 0 ? 0 : sum / n;
    double zeroFraction = n == 0 ? 0 : (double) zeros / n;
    long rows = shape.length == 0 ? 1 : shape[0];
    long features = rows == 0 ? 0 : n / rows;
    int m = (int) Math.min(rows, VerifyConfig.RANK_MAX_ROWS);
    int cols = (int) Math.min(features, VerifyConfig.RANK_MAX_FEATURES);
    int rank = -1;
    double tol = Double.NaN;
    if (withRank && nonFinite == 0) {
      if (zeros == n || m == 0 || cols == 0) {
        rank = 0;
        tol = 0;
      } else {
        DMatrixRMaj a = new DMatrixRMaj(m, cols);
        for (int r = 0; r < m; r++) {
          for (int c = 0; c < cols; c++) {
            long col = cols == features ? c : (long) ((double) c * features / cols);
            a.unsafe_set(r, c, value(b, type, (int) (r * features + col)));
          }
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, cols, false, false, true);
        if (svd.decompose(a)) {
          double[] s = svd.getSingularValues();
          double sMax = 0;
          for (int i = 0; i < svd.numberOfSingularValues(); i++) {
            sMax = Math.max(sMax, s[i]);
          }
          tol = sMax * Math.max(m, cols) * eps(type);
          rank = 0;
          for (int i = 0; i < svd.numberOfSingularValues(); i++) {
            if (s[i] > tol) {
              rank++;
            }
          }
        }
      }
    }
    return new TensorStats(type, shape.clone(), n, rms, mean, maxAbs, zeroFraction, nonFinite, rank, m, cols,
        features, tol);
  }

  static double value(ByteBuffer b, DataType type, int i) {
    return switch (type) {
      case FLOAT -> b.getFloat(i * 4);
      case DOUBLE -> b.getDouble(i * 8);
      case FLOAT16 -> Float16.toDouble(b.getShort(i * 2));
      case BFLOAT16 -> BFloat16.toDouble(b.getShort(i * 2));
      default -> throw new IllegalArgumentException(type.onnxName());
    };
  }

  /** Statistics of a host tensor. */
  public static TensorStats of(HostTensor t) {
    return of(t.type(), t.shape(), t.data().order(ByteOrder.LITTLE_ENDIAN));
  }
}
