package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Conv over 1, 2 or 3 spatial dims with any strides, pads (auto_pad resolved), dilations and groups
 * (depthwise included).
 *
 * <ul>
 *   <li>Input gradient: with stride 1, a Conv of the output gradient with the weight flipped in
 *       space and its channels swapped per group (pads (k-1)d - p); otherwise a ConvTranspose with
 *       the same weight, strides, dilations, group and pads, output_padding chosen to give back the
 *       input's size. ONNX Runtime's CPU Conv is much faster than its ConvTranspose (measured on the
 *       sample ResNet, batch 128: about 18% of the whole step).
 *   <li>Weight gradient ({@link ConvWeightGradient}): im2col of the input as one depthwise Conv
 *       with fixed one-hot kernels, multiplied by the output gradient either per sample (a batched
 *       MatMul summed over the batch, for many output positions and a small weight) or as one GEMM
 *       over (batch, position) (for few positions and a large weight), whichever moves less data.
 *   <li>Bias gradient: ReduceSum over batch and spatial axes.
 * </ul>
 */
final class ConvRules {
  private ConvRules() {}

  /** A SAME-padded stride-1 window of unknown size: total padding (k-1)d, split like ONNX. */
  private static Windows.Window sameStrideOne(Windows.Window w, String autoPad) {
    int n = w.spatial();
    long[] pb = new long[n];
    long[] pe = new long[n];
    for (int d = 0; d < n; d++) {
      long total = (w.kernel()[d] - 1) * w.dilations()[d];
      long small = total / 2;
      pb[d] = autoPad.equals("SAME_UPPER") ? small : total - small;
      pe[d] = total - pb[d];
    }
    return new Windows.Window(w.kernel(), w.strides(), w.dilations(), pb, pe, w.in(), w.out());
  }

  private static boolean flippedPadsFit(Windows.Window w) {
    for (int d = 0; d < w.spatial(); d++) {
      long full = (w.kernel()[d] - 1) * w.dilations()[d];
      if (w.padBegin()[d] > full || w.padEnd()[d] > full) {
        return false;
      }
    }
    return true;
  }

  static void register(GradientRules r) {
    r.put("Conv", ConvRules::conv);
    r.put("ConvTranspose", ConvRules::convTranspose);
  }

  /**
   * ConvTranspose (explicit pads, optional output_padding): the input gradient is the forward
   * Conv of the output gradient with the same weight and attributes; the weight gradient is the
   * Conv weight gradient with the roles of input and output exchanged (im2col of the output
   * gradient, multiplied by the input).
   */
  private static void convTranspose(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    String x = c.in(0);
    String w = c.in(1);
    long[] wd = c.staticDims(w, "the ConvTranspose gradient");
    long[] xd = c.rankedDims(x);
    int spatial = xd.length - 2;
    String autoPad = c.attrS("auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET") || NodeAttrs.has(c.node(), "output_shape")) {
      throw c.unsupported("ConvTranspose with auto_pad or output_shape; give explicit pads");
    }
    long[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
    long group = c.attrI("group", 1);
    long[] outDims = c.dims(c.out(0));
    long[] outSpatial = outDims == null ? null : Arrays.copyOfRange(outDims, 2, outDims.length);
    // the Conv that maps Y's shape back to X's shape, with ConvTranspose's own attributes
    Windows.Window win = Windows.resolve(c.node(), kernel, outSpatial, false);
    boolean staticSpatial = Dims.isStatic(Arrays.copyOfRange(xd, 2, xd.length))
        && Dims.isStatic(outSpatial);
    if (c.active(0)) {
      String dx = em.node("Conv", new String[] {g, w}, Attr.ints("dilations", win.dilations()),
          Attr.i("group", group), Attr.ints("kernel_shape", kernel),
          Attr.ints("pads", win.pads()), Attr.ints("strides", win.strides()));
      em.declare(dx, em.typeOr(g), xd);
      c.accumulate(0, dx);
    }
    if (c.active(1)) {
      long[] spatialOut = Arrays.copyOfRange(xd, 2, xd.length);
      Windows.Window onG = new Windows.Window(kernel, win.strides(), win.dilations(),
          win.padBegin(), win.padEnd(), outSpatial, spatialOut);
      // W [C_in, C_out/G, k...] is the weight of the Conv from Y (C_out channels) to X (C_in)
      c.accumulate(1, ConvWeightGradient.of(em, g, x, onG, staticSpatial, wd, group));
    }
    if (c.active(2)) {
      c.accumulate(2, biasGrad(em, g, spatial));
    }
  }

  /** The gradient of a per-channel bias: {@code g} summed over the batch and spatial axes. */
  private static String biasGrad(Emitter em, String g, int spatial) {
    return em.reduceSum(g, Dims.concat(new long[] {0}, Dims.range(2, 2 + spatial)), false);
  }

  private static void conv(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    String x = c.in(0);
    String w = c.in(1);
    long[] wd = c.staticDims(w, "the Conv gradient");
    long[] xd = c.rankedDims(x);
    int spatial = xd.length - 2;
    long[] inSpatial = Arrays.copyOfRange(xd, 2, xd.length);
    long[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
    Windows.Window win = Windows.resolve(c.node(), kernel, inSpatial, false);
    boolean staticSpatial = Dims.isStatic(inSpatial);
    String autoPad = c.attrS("auto_pad", "NOTSET");
    if (!staticSpatial && (autoPad.startsWith("SAME") && !win.allStridesOne())) {
      throw c.unsupported("auto_pad " + autoPad + " with strides needs static spatial dims of '"
          + x + "', inferred as " + Dims.toString(xd));
    }
    if (!staticSpatial && autoPad.startsWith("SAME")) {
      // stride 1: the total padding is (k-1)d whatever the size
      win = sameStrideOne(win, autoPad);
    }
    long group = c.attrI("group", 1);
    long cin = wd[1] * group; // the weight is [M, C/group, k...]
    long m = wd[0];
    Onnx.AttributeProto dil = Attr.ints("dilations", win.dilations());
    Onnx.AttributeProto str = Attr.ints("strides", win.strides());
    if (c.active(0) && win.allStridesOne() && flippedPadsFit(win)) {
      // stride 1: the input gradient is a forward Conv of g with the weight flipped in space and
      // its in/out channels swapped per group; ONNX Runtime runs Conv much faster than ConvTranspose
      int sp = spatial;
      String w5 = em.reshape(w, Dims.concat(new long[] {group, m / group, cin / group}, kernel));
      long[] perm = Dims.concat(new long[] {0, 2, 1}, Dims.range(3, 3 + sp));
      String swapped = em.reshape(em.transpose(w5, perm),
          Dims.concat(new long[] {cin, m / group}, kernel));
      long[] axes = Dims.range(2, 2 + sp);
      long[] minusOne = new long[sp];
      long[] lowest = new long[sp];
      Arrays.fill(minusOne, -1);
      Arrays.fill(lowest, Long.MIN_VALUE);
      String flipped = em.node("Slice", new String[] {swapped, em.ints(minusOne), em.ints(lowest),
          em.ints(axes), em.ints(minusOne)});
      long[] pads = new long[2 * sp];
      for (int d = 0; d < sp; d++) {
        long full = (kernel[d] - 1) * win.dilations()[d];
        pads[d] = full - win.padBegin()[d];
        pads[d + sp] = full - win.padEnd()[d];
      }
      String dx = em.node("Conv", new String[] {g, flipped}, dil, Attr.i("group", group),
          Attr.ints("kernel_shape", kernel), Attr.ints("pads", pads));
      em.declare(dx, em.typeOr(g), xd);
      c.accumulate(0, dx);
    } else if (c.active(0) && !staticSpatial) {
      // unknown sizes: a ConvTranspose without output_padding gives the input's size up to the
      // (stride - 1) trailing positions no window reached; pad those with zeros
      String t = em.node("ConvTranspose", new String[] {g, w}, dil, Attr.i("group", group),
          Attr.ints("kernel_shape", kernel), Attr.ints("pads", win.pads()), str);
      String missing = em.sub(em.node("Shape", new String[] {x}),
          em.node("Shape", new String[] {t}));
      String pads = em.node("Concat", new String[] {em.ints(new long[xd.length]), missing},
          Attr.i("axis", 0));
      String dx = em.node("Pad", new String[] {t, pads});
      em.declare(dx, em.typeOr(g), xd);
      c.accumulate(0, dx);
    } else if (c.active(0)) {
      Windows.Transposed t = Windows.transposed(win);
      List<Onnx.AttributeProto> attrs = new ArrayList<>(List.of(dil, Attr.i("group", group),
          Attr.ints("kernel_shape", kernel), Attr.ints("pads", t.pads()), str));
      if (Arrays.stream(t.outputPadding()).anyMatch(v -> v != 0)) {
        attrs.add(Attr.ints("output_padding", t.outputPadding()));
      }
      String dx = em.node("ConvTranspose", new String[] {g, w},
          attrs.toArray(Onnx.AttributeProto[]::new));
      em.declare(dx, em.typeOr(g), xd);
      c.accumulate(0, dx);
    }
    if (c.active(1)) {
      c.accumulate(1, ConvWeightGradient.of(em, x, g, win, staticSpatial, wd, group));
    }
    if (c.active(2)) {
      c.accumulate(2, biasGrad(em, g, spatial));
    }
  }
}
