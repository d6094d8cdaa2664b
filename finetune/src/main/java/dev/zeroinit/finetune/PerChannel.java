package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;

/**
 * Per-channel reductions and per-channel affine maps of a tensor [N, C, spatial...], written the way
 * ONNX Runtime's CPU kernels run them fastest (BatchNormalization's forward and backward passes are
 * made of them).
 *
 * <ul>
 *   <li>Sums and means over every axis but the channel axis in two stages, first over the spatial
 *       axes (contiguous), then over the batch: ONNX Runtime's ReduceSum over axes (0, 2, 3) of
 *       [128, 32, 32, 32] took 0.7 ms, the two stages 0.5 ms.
 *   <li>{@code x * s + t} with per-channel s and t as one inference-mode BatchNormalization with mean
 *       0, variance 1 and epsilon 0 (its scale and bias then pass through unchanged): one pass over
 *       the tensor instead of a Mul and an Add, and faster than a lone broadcast Mul (measured on
 *       [128, 128, 32, 32]: 4.0 ms against 7.9 ms for Mul and Add).
 * </ul>
 */
final class PerChannel {
  private PerChannel() {}

  /** The sum over every axis but 1, kept as [1, C, 1...]. */
  static String sum(Emitter em, String x, int rank) {
    String inner = em.reduceSum(x, Dims.range(2, rank), true);
    return em.reduceSum(inner, new long[] {0}, true);
  }

  /** The mean over every axis but 1, kept as [1, C, 1...]. */
  static String mean(Emitter em, String x, int rank) {
    String inner = rank > 2 ? em.reduceMean(x, Dims.range(2, rank), true) : x;
    return em.reduceMean(inner, new long[] {0}, true);
  }

  /**
   * {@code x * scale + bias} with {@code scale} and {@code bias} of [C] (1-D, the type of x), as an
   * inference-mode BatchNormalization.
   */
  static String affine(Emitter em, String x, String scale, String bias, long channels) {
    return affine(em, x, scale, bias, channels, em.fresh("affine"));
  }

  /** As {@link #affine(Emitter, String, String, String, long)}, into the value {@code out}. */
  static String affine(Emitter em, String x, String scale, String bias, long channels,
      String out) {
    int t = em.typeOr(x);
    String zeros = em.cached("zeros" + t + ":" + channels,
        () -> em.tensorOf(t, new long[] {channels}, new double[(int) channels]));
    String ones = em.cached("ones" + t + ":" + channels, () -> {
      double[] v = new double[(int) channels];
      java.util.Arrays.fill(v, 1);
      return em.tensorOf(t, new long[] {channels}, v);
    });
    em.add("BatchNormalization", new String[] {x, scale, bias, zeros, ones}, new String[] {out},
        Attr.f("epsilon", 0f));
    em.declare(out, t, em.dims(x));
    return out;
  }
}
