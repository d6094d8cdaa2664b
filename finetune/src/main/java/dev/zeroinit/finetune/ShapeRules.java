package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move values without computing: Flatten, Reshape, Squeeze, Unsqueeze (a Reshape back),
 * Transpose (the inverse permutation), Concat (one Split), Split (one Concat, zeros for outputs
 * nothing depends on), Slice (zeros interleaved for steps, Pad back to the input's size), Gather
 * (ScatterND with reduction "add" into zeros: embedding rows read several times add up), and the
 * reductions ReduceSum and ReduceMean (Expand back).
 */
final class ShapeRules {
  private ShapeRules() {}

  static void register(GradientRules r) {
    for (String op : List.of("Flatten", "Reshape", "Squeeze", "Unsqueeze")) {
      r.put(op, c -> ElementwiseRules.unary(c, g -> c.em().reshapeLike(g, c.in(0))));
    }
    r.put("Transpose", c -> ElementwiseRules.unary(c, g -> {
      long[] d = c.rankedDims(c.in(0));
      long[] perm = c.em().shapes().perm(c.node(), d.length);
      return c.em().transpose(g, Dims.inversePermutation(perm));
    }));
    r.put("Concat", ShapeRules::concat);
    r.put("Split", ShapeRules::split);
    r.put("Slice", ShapeRules::slice);
    r.put("Gather", ShapeRules::gather);
    r.put("ReduceSum", c -> reduce(c, false));
    r.put("ReduceMean", c -> reduce(c, true));
  }

  private static void concat(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    long[] od = c.rankedDims(c.out(0));
    int axis = Dims.axis(c.attrI("axis", 0), od.length);
    int n = c.inputCount();
    long[] sizes = new long[n];
    boolean known = true;
    for (int k = 0; k < n; k++) {
      long[] d = c.dims(c.in(k));
      sizes[k] = d == null ? -1 : d[axis];
      known &= sizes[k] >= 0;
    }
    String split;
    if (known) {
      split = em.ints(sizes);
    } else {
      String[] parts = new String[n];
      for (int k = 0; k < n; k++) {
        parts[k] = em.node("Gather", new String[] {em.node("Shape", new String[] {c.in(k)}),
            em.ints(axis)}, Attr.i("axis", 0));
      }
      split = em.node("Concat", parts, Attr.i("axis", 0));
    }
    String[] outs = em.nodeN("Split", new String[] {g, split}, n, Attr.i("axis", axis));
    for (int k = 0; k < n; k++) {
      if (c.active(k)) {
        em.declare(outs[k], em.typeOr(g), c.dims(c.in(k)));
        c.accumulate(k, outs[k]);
      }
    }
  }

  private static void split(NodeContext c) {
    if (!c.active(0)) {
      return;
    }
    Emitter em = c.em();
    int outs = c.node().getOutputCount();
    String[] parts = new String[outs];
    boolean any = false;
    for (int k = 0; k < outs; k++) {
      parts[k] = c.grad(k);
      any |= parts[k] != null;
    }
    if (!any) {
      return;
    }
    for (int k = 0; k < outs; k++) {
      if (parts[k] == null) {
        parts[k] = em.zerosLike(c.out(k));
      }
    }
    long[] xd = c.rankedDims(c.in(0));
    int axis = Dims.axis(c.attrI("axis", 0), xd.length);
    String dx = outs == 1 ? parts[0] : em.node("Concat", parts, Attr.i("axis", axis));
    c.accumulate(0, dx);
  }

  private static void slice(NodeContext c) {
    String g = c.grad(0);
    if (g == null || !c.active(0)) {
      return;
    }
    Emitter em = c.em();
    ShapeInference.SliceSpec s = ShapeInference.SliceSpec.of(em.shapes(), c.node());
    if (s == null) {
      throw c.unsupported("Slice needs constant starts/ends/axes/steps and static sizes of the "
          + "sliced axes of '" + c.in(0) + "'");
    }
    long[] xd = c.rankedDims(c.in(0));
    int rank = xd.length;
    long[] padBegin = new long[rank];
    long[] padEnd = new long[rank];
    String cur = g;
    for (int i = 0; i < s.axes().length; i++) {
      int ax = s.axes()[i];
      long n = s.count(i);
      long dim = xd[ax];
      if (n == 0) {
        return; // empty slice: no gradient
      }
      long step = s.step(i);
      long first = s.start(i);
      if (step < 0) {
        // reverse the gradient along the axis and treat the slice as ascending
        cur = em.node("Slice", new String[] {cur, em.ints(-1), em.ints(Long.MIN_VALUE),
            em.ints(ax), em.ints(-1)});
        first = s.start(i) + (n - 1) * step;
        step = -step;
      }
      long length = n;
      if (step > 1) {
        // interleave step-1 zeros after each element: [.., n, ..] -> [.., n, step, ..]
        long[] cd = em.dims(cur).clone();
        String u = em.unsqueeze(cur, ax + 1);
        long[] pads = new long[2 * (rank + 1)];
        pads[rank + 1 + ax + 1] = step - 1;
        String padded = em.node("Pad", new String[] {u, em.ints(pads)});
        long[] merged = cd.clone();
        merged[ax] = n * step;
        cur = em.reshape(padded, reshapeTarget(c, merged, ax));
        em.declare(cur, em.typeOr(g), merged);
        length = n * step;
      }
      long end = dim - first - length;
      if (end < 0) {
        cur = em.node("Slice", new String[] {cur, em.ints(0), em.ints(dim - first), em.ints(ax)});
        end = 0;
      }
      padBegin[ax] = first;
      padEnd[ax] = end;
    }
    long[] pads = Dims.concat(padBegin, padEnd);
    String dx = Arrays.stream(pads).allMatch(p -> p == 0) ? cur
        : em.node("Pad", new String[] {cur, em.ints(pads)});
    em.declare(dx, em.typeOr(g), xd);
    c.accumulate(0, dx);
  }

  /**
   * Reshape target for a merged axis: unknown dims before it copied (0), one unknown dim after it
   * inferred (-1).
   */
  private static long[] reshapeTarget(NodeContext c, long[] merged, int ax) {
    long[] t = merged.clone();
    boolean inferred = false;
    for (int i = 0; i < t.length; i++) {
      if (t[i] >= 0) {
        continue;
      }
      if (i < ax) {
        t[i] = 0;
      } else if (!inferred) {
        t[i] = -1;
        inferred = true;
      } else {
        throw c.unsupported("a strided Slice over a tensor with several unknown dims");
      }
    }
    return t;
  }

  private static void gather(NodeContext c) {
    String g = c.grad(0);
    if (g == null || !c.active(0)) {
      return;
    }
    Emitter em = c.em();
    String data = c.in(0);
    String idx = c.in(1);
    long[] dd = c.rankedDims(data);
    long[] id = c.rankedDims(idx);
    int rank = dd.length;
    int axis = Dims.axis(c.attrI("axis", 0), rank);
    int ri = id.length;
    String idx64 = c.type(idx) == dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType.INT64_VALUE
        ? idx : em.node("Cast", new String[] {idx}, Attr.i("to", 7));
    String indices = em.unsqueeze(idx64, -1);
    if (axis == 0) {
      String zeros = em.zerosLike(data);
      String dx = em.node("ScatterND", new String[] {zeros, indices, g},
          Attr.s("reduction", "add"));
      em.declare(dx, em.typeOr(g), dd);
      c.accumulate(0, dx);
      return;
    }
    // move the gathered axis to the front of data, and the index dims to the front of g
    long[] p = new long[rank];
    p[0] = axis;
    for (int i = 0, k = 1; i < rank; i++) {
      if (i != axis) {
        p[k++] = i;
      }
    }
    long[] q = new long[rank - 1 + ri];
    int k = 0;
    for (int i = 0; i < ri; i++) {
      q[k++] = axis + i;
    }
    for (int i = 0; i < axis; i++) {
      q[k++] = i;
    }
    for (int i = axis + ri; i < rank - 1 + ri; i++) {
      q[k++] = i;
    }
    String gt = em.transpose(g, q);
    String zeros;
    if (Dims.isStatic(dd)) {
      long[] pd = new long[rank];
      for (int i = 0; i < rank; i++) {
        pd[i] = dd[(int) p[i]];
      }
      zeros = em.zeros(pd, em.typeOr(g));
    } else {
      String shape = em.node("Gather", new String[] {em.node("Shape", new String[] {data}),
          em.ints(p)}, Attr.i("axis", 0));
      zeros = em.node("ConstantOfShape", new String[] {shape}, Attr.t("value",
          dev.zeroinit.onnxio.build.Tensors.of(null, em.typeOr(g), new long[] {1},
              new double[] {0})));
    }
    String scattered = em.node("ScatterND", new String[] {zeros, indices, gt},
        Attr.s("reduction", "add"));
    String dx = em.transpose(scattered, Dims.inversePermutation(p));
    em.declare(dx, em.typeOr(g), dd);
    c.accumulate(0, dx);
  }

  private static void reduce(NodeContext c, boolean mean) {
    String g = c.grad(0);
    if (g == null || !c.active(0)) {
      return;
    }
    Emitter em = c.em();
    String x = c.in(0);
    long[] xd = c.rankedDims(x);
    ShapeInference.ReduceSpec spec = ShapeInference.ReduceSpec.of(em.shapes(), c.node());
    if (spec == null) {
      throw c.unsupported("reduction axes that are not constant");
    }
    long[] axes = spec.normalized(xd.length);
    if (axes.length == 0) {
      c.accumulate(0, g);
      return;
    }
    String gk = g;
    if (!spec.keepDims()) {
      gk = em.unsqueeze(g, axes);
    }
    if (mean) {
      gk = em.mul(gk, em.unary("Reciprocal", em.elementCount(x, axes)));
    }
    String dx = em.expandLike(gk, x);
    c.accumulate(0, dx);
  }
}
