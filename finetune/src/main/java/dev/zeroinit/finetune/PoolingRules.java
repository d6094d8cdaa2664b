package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * MaxPool (the forward node also returns its Indices; the backward pass scatter-adds the output
 * gradient at those flat positions, which reproduces PyTorch exactly, overlapping windows included),
 * AveragePool (each output's gradient divided by its window's count, static per position, spread back
 * by a ConvTranspose with a ones kernel over [N*C, 1, spatial]) and GlobalAveragePool.
 */
final class PoolingRules {
  private PoolingRules() {}

  static void register(GradientRules r) {
    r.put("MaxPool", new GradientRule() {
      @Override
      public Object forward(NodeContext c) {
        return maxPoolForward(c);
      }

      @Override
      public void backward(NodeContext c) {
        maxPoolBackward(c);
      }
    });
    r.put("AveragePool", PoolingRules::averagePool);
    r.put("GlobalAveragePool", c -> ElementwiseRules.unary(c, g -> {
      Emitter em = c.em();
      long[] xd = c.rankedDims(c.in(0));
      String count = em.elementCount(c.in(0), Dims.range(2, xd.length));
      String scaled = em.mul(g, em.unary("Reciprocal", count));
      return em.expandLike(scaled, c.in(0));
    }));
  }

  private static Object maxPoolForward(NodeContext c) {
    Onnx.NodeProto n = c.node();
    if (!c.active(0)) {
      c.copyNode();
      return null;
    }
    if (c.attrI("storage_order", 0) != 0) {
      throw c.unsupported("storage_order=1 (column-major indices)");
    }
    if (!c.out(1).isEmpty()) {
      c.copyNode();
      return c.out(1);
    }
    String indices = c.em().fresh("maxpool_indices");
    c.emitNode(n.toBuilder().clearOutput().addOutput(n.getOutput(0)).addOutput(indices).build());
    return indices;
  }

  private static void maxPoolBackward(NodeContext c) {
    String g = c.grad(0);
    if (g == null || !c.active(0)) {
      return;
    }
    Emitter em = c.em();
    String x = c.in(0);
    String indices = (String) c.saved();
    long[] xd = c.rankedDims(x);
    String total;
    int t = em.typeOr(g);
    if (Dims.isStatic(xd)) {
      total = em.ints(Dims.product(xd));
    } else {
      total = em.unsqueeze(em.node("Size", new String[] {x}), 0);
    }
    String zeros = em.node("ConstantOfShape", new String[] {total}, Attr.t("value",
        dev.zeroinit.onnxio.build.Tensors.of(null, t, new long[] {1}, new double[] {0})));
    String flatI = em.reshape(indices, -1);
    String flatG = em.reshape(g, -1);
    String scattered = em.node("ScatterElements", new String[] {zeros, flatI, flatG},
        Attr.i("axis", 0), Attr.s("reduction", "add"));
    String dx = em.reshapeLike(scattered, x);
    c.accumulate(0, dx);
  }

  private static void averagePool(NodeContext c) {
    String g = c.grad(0);
    if (g == null || !c.active(0)) {
      return;
    }
    Emitter em = c.em();
    String x = c.in(0);
    long[] xd = c.rankedDims(x);
    long[] inSpatial = Arrays.copyOfRange(xd, 2, xd.length);
    if (!Dims.isStatic(inSpatial)) {
      throw c.unsupported("the AveragePool gradient needs static spatial dims of '" + x + "'");
    }
    long[] kernel = c.attrInts("kernel_shape");
    boolean ceil = c.attrI("ceil_mode", 0) != 0;
    boolean includePad = c.attrI("count_include_pad", 0) != 0;
    Windows.Window win = Windows.resolve(c.node(), kernel, inSpatial, ceil);
    int spatial = kernel.length;
    // per-position window counts, a product of per-dim counts
    double[][] perDim = new double[spatial][];
    boolean uniform = true;
    for (int d = 0; d < spatial; d++) {
      perDim[d] = counts(win, d, includePad);
      for (double v : perDim[d]) {
        uniform &= v == perDim[d][0];
      }
    }
    String scaled;
    if (uniform) {
      double count = 1;
      for (double[] p : perDim) {
        count *= p[0];
      }
      scaled = em.mulScalar(g, 1 / count);
    } else {
      long[] out = win.out();
      int total = (int) Dims.product(out);
      double[] recip = new double[total];
      for (int i = 0; i < total; i++) {
        int rest = i;
        double count = 1;
        for (int d = spatial - 1; d >= 0; d--) {
          int pos = (int) (rest % out[d]);
          rest /= (int) out[d];
          count *= perDim[d][pos];
        }
        recip[i] = 1 / count;
      }
      scaled = em.mul(g, em.tensor(out, recip));
    }
    long[] outSpatial = win.out();
    String flat = em.reshape(scaled, Dims.concat(new long[] {-1, 1}, outSpatial));
    double[] ones = new double[(int) Dims.product(kernel)];
    Arrays.fill(ones, 1);
    String kernelOnes = em.tensor(Dims.concat(new long[] {1, 1}, kernel), ones);
    Windows.Transposed tr = Windows.transposed(win);
    List<Onnx.AttributeProto> attrs = new ArrayList<>(List.of(
        Attr.ints("dilations", win.dilations()), Attr.ints("kernel_shape", kernel),
        Attr.ints("pads", tr.pads()), Attr.ints("strides", win.strides())));
    if (Arrays.stream(tr.outputPadding()).anyMatch(v -> v != 0)) {
      attrs.add(Attr.ints("output_padding", tr.outputPadding()));
    }
    String spread = em.node("ConvTranspose", new String[] {flat, kernelOnes},
        attrs.toArray(Onnx.AttributeProto[]::new));
    c.accumulate(0, em.reshapeLike(spread, x));
  }

  /**
   * The divisor of each output position's window along one dim: with count_include_pad the kernel
   * size (ONNX Runtime divides by it even where a ceil_mode window runs past the padding), without it
   * the window's positions inside the input.
   */
  static double[] counts(Windows.Window w, int d, boolean includePad) {
    int out = (int) w.out()[d];
    double[] c = new double[out];
    long size = w.in()[d];
    for (int o = 0; o < out; o++) {
      if (includePad) {
        c[o] = w.kernel()[d];
        continue;
      }
      long start = o * w.strides()[d] - w.padBegin()[d];
      int n = 0;
      for (int j = 0; j < w.kernel()[d]; j++) {
        long p = start + j * w.dilations()[d];
        if (p >= 0 && p < size) {
          n++;
        }
      }
      c[o] = n;
    }
    return c;
  }
}
