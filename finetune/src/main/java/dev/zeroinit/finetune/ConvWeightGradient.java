package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import java.util.Arrays;

/**
 * The gradient of a convolution weight [M, C/G, k...] from the convolution's input x [N, C,
 * spatial...] and the gradient g [N, M, out...] of its output: im2col of x, then a matrix product
 * with g that sums over the batch and the L output positions.
 *
 * <p>The product is written one of two ways, whichever moves less data:
 * <ul>
 *   <li>per sample: im2col as one depthwise Conv with fixed one-hot kernels (per input channel one
 *       output channel per kernel offset), [N, C*K, out...], a free Reshape of [N, G, C/G*K, L] (a
 *       1x1 kernel with stride 1 and no padding needs none); one batched MatMul with g as [N, G,
 *       L, M/G]; a ReduceSum over the batch. Its intermediate holds N copies of the weight's size,
 *       cheap when the output positions L are many and the weight small (the first stages of a
 *       CIFAR ResNet). (The depthwise form measured about 13% faster per step than the same
 *       extraction over [N*C, 1, spatial], whose 9-channel output ONNX Runtime pads and reorders;
 *       Pad with nine Slices and a Concat, or nine one-hot Convs of multiplier 1, were no faster,
 *       and Pad, nine Slices and nine batched MatMuls 16% slower.)
 *   <li>one GEMM: the patches built already transposed, [C, K, N, out...] = [G, C/G*K, N*L], from
 *       x transposed to [C, N, spatial...] by one strided Slice per kernel offset and a Concat;
 *       g transposed to [G, M/G, N*L]; [G, M/G, N*L] x [G, N*L, C/G*K], no reduction. Cheap when L
 *       is small and the weight large (the last stages: with 4x4 outputs the per-sample form wrote
 *       128 copies of a 2304x256 weight and was 2.3x slower per layer). Building these patches
 *       by Slices rather than by the one-hot Conv and a Transpose of its output was 22% faster
 *       for the 4x4 stage and 15% for the 8x8 one (the grouped Conv's cost is per channel and
 *       sample, large when the images are small).
 * </ul>
 * The choice compares the per-sample intermediate, N*(C/G*K)*(M/G) per group, with the transposed
 * patches and gradient, N*L*(C/G*K + M/G); with an unknown batch or output size it is per sample.
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
    if (staticSpatial && batch > 0 && oneGemmCheaper(cg * k, m / group, l)) {
      String colsT = transposedPatches(em, x, win, kernel, cg * group, batch);
      return oneGemm(em, colsT, g, batch, group, cg * k, m / group, l, wd);
    }
    String cols = patches(em, x, win, staticSpatial, kernel, cg * group, group);
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

  /**
   * The patches already transposed for one GEMM, [C, K, N, out...] (a free Reshape of [G, C/G*K,
   * N*L]): x transposed to [C, N, spatial...] (a copy of x, not of the K-times larger patches),
   * padded, then one strided Slice per kernel offset, stacked by a Concat.
   */
  private static String transposedPatches(Emitter em, String x, Windows.Window win, long[] kernel,
      long cin, long batch) {
    int sp = kernel.length;
    long[] out = win.out();
    long l = Dims.product(out);
    long[] perm = Dims.concat(new long[] {1, 0}, Dims.range(2, 2 + sp));
    String xt = em.transpose(x, perm);
    if (win.unitKernel() && win.allStridesOne() && win.noPadding()) {
      return xt;
    }
    long[] padded = Dims.concat(new long[] {cin, batch}, win.in());
    if (!win.noPadding()) {
      long[] pads = new long[2 * (2 + sp)];
      for (int d = 0; d < sp; d++) {
        pads[2 + d] = win.padBegin()[d];
        pads[2 + sp + 2 + d] = win.padEnd()[d];
        padded[2 + d] += win.padBegin()[d] + win.padEnd()[d];
      }
      xt = em.declare(em.node("Pad", new String[] {xt, em.ints(pads)}), em.typeOr(x), padded);
    }
    long k = Dims.product(kernel);
    long[] sliceDims = Dims.concat(new long[] {cin, batch}, out);
    String[] parts = new String[(int) k];
    long[] offset = new long[sp];
    for (int i = 0; i < k; i++) {
      // the kernel offset of flat index i, row-major as in the weight [M, C/G, k...]
      long rest = i;
      for (int d = sp - 1; d >= 0; d--) {
        offset[d] = rest % kernel[d];
        rest /= kernel[d];
      }
      long[] starts = new long[sp];
      long[] ends = new long[sp];
      for (int d = 0; d < sp; d++) {
        starts[d] = offset[d] * win.dilations()[d];
        ends[d] = starts[d] + (out[d] - 1) * win.strides()[d] + 1;
      }
      String slice = em.node("Slice", new String[] {xt, em.ints(starts), em.ints(ends),
          em.ints(Dims.range(2, 2 + sp)), em.ints(win.strides())});
      em.declare(slice, em.typeOr(x), sliceDims);
      parts[i] = em.unsqueeze(slice, 1);
    }
    String stacked = k == 1 ? parts[0] : em.node("Concat", parts, Attr.i("axis", 1));
    return em.declare(stacked, em.typeOr(x), Dims.concat(new long[] {cin, k, batch}, out));
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

  /**
   * One GEMM per group: [G, M/G, N*L] x [G, N*L, C/G*K], already in the weight's layout, from the
   * transposed patches [C, K, N, out...].
   */
  private static String oneGemm(Emitter em, String patchesT, String g, long batch, long group,
      long ck, long mg, long l, long[] wd) {
    String colsT = em.reshape(patchesT, group, ck, batch * l);
    String gT = em.reshape(em.transpose(em.reshape(g, batch, group, mg, l), 1, 2, 0, 3),
        group, mg, batch * l);
    // ONNX Runtime folds the Transpose of the last two axes into its MatMul (transB)
    return em.reshape(em.matMul(gT, em.transposeLast2(colsT, 3)), wd);
  }
}
