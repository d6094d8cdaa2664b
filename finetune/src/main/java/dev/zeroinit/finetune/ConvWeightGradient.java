package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import java.util.Arrays;

/**
 * The gradient of a convolution weight [M, C/G, k...] from the convolution's input x [N, C,
 * spatial...] and the gradient g [N, M, out...] of its output: im2col of x, then a matrix product
 * with g that sums over the batch and the L output positions.
 *
 * <p>im2col is one depthwise Conv with fixed one-hot kernels (per input channel one output channel
 * per kernel offset), giving [N, C*K, out...], a free Reshape of [N, G, C/G*K, L]; a 1x1 kernel with
 * stride 1 and no padding needs none. (The depthwise form measured about 13% faster per step than
 * the same extraction over [N*C, 1, spatial], whose 9-channel output ONNX Runtime pads and
 * reorders; Pad with nine Slices and a Concat, or nine one-hot Convs of multiplier 1, were slower
 * still.)
 *
 * <p>The product is written one of two ways, whichever moves less data:
 * <ul>
 *   <li>per sample: one batched MatMul [N, G, C/G*K, L] x [N, G, L, M/G] and a ReduceSum over
 *       the batch. Its intermediate holds N copies of the weight's size, which is cheap when the
 *       output positions L are many and the weight small (the first stages of a CIFAR ResNet);
 *   <li>one GEMM: the patches and g transposed to put (batch, position) last, [G, M/G, N*L] x
 *       [G, N*L, C/G*K], no reduction. The two Transposes copy N*L*(C/G*K + M/G) values per
 *       group, cheap when L is small and the weight large (the last stages: with 4x4 outputs the
 *       per-sample form wrote 128 copies of a 2304x256 weight and was 2.3x slower per layer).
 * </ul>
 * The choice compares the per-sample intermediate, N*(C/G*K)*(M/G) per group, with what the
 * transposes copy; with an unknown batch or output size it is per sample.
 */
final class ConvWeightGradient {
  private ConvWeightGradient() {}

  /**
   * The weight gradient, reshaped to {@code wd}.
   *
   * @param win the window that maps x's spatial dims to g's
   * @param staticSpatial whether x's and g's spatial dims are known
   * @param wd the weight's dims [M, C/G, k...]
   */
  static String of(Emitter em, String x, String g, Windows.Window win, boolean staticSpatial,
      long[] wd, long group) {
    long[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
    long m = wd[0];
    long cg = wd[1];
    long k = Dims.product(kernel);
    long l = staticSpatial ? Dims.product(win.out()) : -1;
    long[] xd = em.dims(x);
    long batch = xd == null ? -1 : xd[0];
    String cols = patches(em, x, win, staticSpatial, kernel, cg * group, group);
    if (staticSpatial && batch > 0 && oneGemmCheaper(cg * k, m / group, l)) {
      return oneGemm(em, cols, g, batch, group, cg * k, m / group, l, wd);
    }
    return perSample(em, cols, g, staticSpatial, group, m / group, l, wd);
  }

  /**
   * Whether one GEMM over (batch, position) moves less data than the per-sample products: the
   * per-sample intermediate per group and sample, {@code ck * mg}, against the transposed patches
   * and gradient, {@code (ck + mg) * l}.
   */
  static boolean oneGemmCheaper(long ck, long mg, long l) {
    return ck * mg > (ck + mg) * l;
  }

  /** The patches [N, G, C/G*K, L] of x under the window (L may be -1 when not static). */
  private static String patches(Emitter em, String x, Windows.Window win, boolean staticSpatial,
      long[] kernel, long cin, long group) {
    long k = Dims.product(kernel);
    long l = staticSpatial ? Dims.product(win.out()) : -1;
    long n = staticSpatial ? -1 : 0; // with -1 taken by L, 0 copies the batch size
    long cg = cin / group;
    if (win.unitKernel() && win.allStridesOne() && win.noPadding()) {
      return em.reshape(x, n, group, cg, l);
    }
    long[] kd = Dims.concat(new long[] {cin * k, 1}, kernel);
    String kernels = em.cached("onehot" + Arrays.toString(kd), () -> {
      double[] onehots = new double[(int) (cin * k * k)];
      for (int ch = 0; ch < cin; ch++) {
        for (int i = 0; i < k; i++) {
          onehots[(int) ((ch * k + i) * k + i)] = 1;
        }
      }
      return em.tensor(kd, onehots);
    });
    String patches = em.node("Conv", new String[] {x, kernels},
        Attr.ints("dilations", win.dilations()), Attr.i("group", cin),
        Attr.ints("kernel_shape", kernel), Attr.ints("pads", win.pads()),
        Attr.ints("strides", win.strides()));
    return em.reshape(patches, n, group, cg * k, l);
  }

  /** Per-sample products [N, G, C/G*K, M/G] summed over the batch. */
  private static String perSample(Emitter em, String cols, String g, boolean staticSpatial,
      long group, long mg, long l, long[] wd) {
    long n = staticSpatial ? -1 : 0;
    // g [N, M, out...] -> [N, G, L, M/G]
    String g4 = em.transpose(em.reshape(g, n, group, mg, l), 0, 1, 3, 2);
    String per = em.matMul(cols, g4); // [N, G, C/G*K, M/G]
    String summed = em.reduceSum(per, new long[] {0}, false); // [G, C/G*K, M/G]
    return em.reshape(em.transpose(summed, 0, 2, 1), wd);
  }

  /** One GEMM per group: [G, M/G, N*L] x [G, N*L, C/G*K], already in the weight's layout. */
  private static String oneGemm(Emitter em, String cols, String g, long batch, long group,
      long ck, long mg, long l, long[] wd) {
    String colsT = em.reshape(em.transpose(cols, 1, 2, 0, 3), group, ck, batch * l);
    String gT = em.reshape(em.transpose(em.reshape(g, batch, group, mg, l), 1, 2, 0, 3),
        group, mg, batch * l);
    // ONNX Runtime folds the Transpose of the last two axes into its MatMul (transB)
    return em.reshape(em.matMul(gT, em.transposeLast2(colsT, 3)), wd);
  }
}
