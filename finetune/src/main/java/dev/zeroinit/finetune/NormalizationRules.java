package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * BatchNormalization in training mode and LayerNormalization.
 *
 * <p>BatchNormalization is written out in the step graph (ONNX Runtime's training-mode kernel keeps
 * neither the batch statistics nor PyTorch's unbiased variance): mean and population variance of the
 * batch over every axis but the channel axis, {@code y = (x - mean) * (scale / sqrt(var + eps)) + bias},
 * and, where the running statistics are state inputs, their next values exactly as PyTorch updates
 * them: {@code running_mean' = m * running_mean + (1 - m) * mean} and {@code running_var' = m *
 * running_var + (1 - m) * var * n / (n - 1)} (ONNX's momentum m, default 0.9, is 1 - PyTorch's). The
 * backward pass reuses the centred input and the per-channel factors:
 * {@code dx = a * (g - sum(g)/n - xc * sum(g*xc) / (n (var + eps)))} with {@code a = scale /
 * sqrt(var + eps)}. The per-channel sums and means and the per-channel affine maps
 * ({@code xc * a + bias} forward, {@code xc * k2 + k1} backward) are written as {@link PerChannel}
 * says ONNX Runtime runs them fastest.
 *
 * <p>LayerNormalization keeps ONNX Runtime's fused forward kernel and asks it for its Mean and
 * InvStdDev outputs, from which the backward pass rebuilds the normalised input.
 */
final class NormalizationRules {
  private NormalizationRules() {}

  record BnSaved(String xc, String inv, String a, String count) {}

  record LnSaved(String mean, String invStd) {}

  static void register(GradientRules r) {
    r.put("BatchNormalization", new GradientRule() {
      @Override
      public Object forward(NodeContext c) {
        return bnForward(c);
      }

      @Override
      public void backward(NodeContext c) {
        bnBackward(c);
      }
    });
    r.put("LayerNormalization", new GradientRule() {
      @Override
      public Object forward(NodeContext c) {
        return lnForward(c);
      }

      @Override
      public void backward(NodeContext c) {
        lnBackward(c);
      }
    });
  }

  private static BnSaved bnForward(NodeContext c) {
    Emitter em = c.em();
    String x = c.in(0);
    long[] xd = c.rankedDims(x);
    if (xd.length < 2 || xd[1] < 0) {
      throw c.unsupported("BatchNormalization needs a known channel dim, got " + Dims.toString(xd));
    }
    int rank = xd.length;
    long ch = xd[1];
    long[] axes = Dims.concat(new long[] {0}, Dims.range(2, rank));
    long[] perChannel = Dims.concat(new long[] {ch}, Dims.ones(rank - 2));
    double eps = c.attrF("epsilon", 1e-5f);
    double momentum = c.attrF("momentum", 0.9f);
    int t = em.typeOr(x);

    String mean = PerChannel.mean(em, x, rank);
    String xc = em.sub(x, mean);
    String var = PerChannel.mean(em, em.mul(xc, xc), rank);
    String inv = em.unary("Reciprocal", em.unary("Sqrt", em.add(var, em.scalar(eps, t))));
    String a = em.mul(inv, em.reshape(c.in(1), perChannel));
    PerChannel.affine(em, xc, em.reshape(a, ch), em.reshape(c.in(2), ch), ch, c.out(0));

    String count = em.elementCount(x, axes);
    String rm = c.in(3);
    String rv = c.in(4);
    if (c.isState(rm) || !c.out(1).isEmpty()) {
      String next = em.add(em.mulScalar(rm, momentum),
          em.mulScalar(em.reshape(mean, ch), 1 - momentum));
      publish(c, rm, next, 1);
    }
    if (c.isState(rv) || !c.out(2).isEmpty()) {
      // PyTorch keeps the unbiased variance: var * n / (n - 1)
      String unbiased = em.div(count, em.sub(count, em.scalar(1, t)));
      String batchVar = em.mul(em.reshape(var, ch), unbiased);
      String next = em.add(em.mulScalar(rv, momentum), em.mulScalar(batchVar, 1 - momentum));
      publish(c, rv, next, 2);
    }
    return new BnSaved(xc, inv, a, count);
  }

  private static void publish(NodeContext c, String state, String next, int output) {
    if (c.isState(state)) {
      c.stateUpdate(state, next);
    }
    if (!c.out(output).isEmpty()) {
      c.em().add("Identity", new String[] {next}, new String[] {c.out(output)});
    }
  }

  private static void bnBackward(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    // in training mode the output does not depend on the running mean and variance (inputs 3, 4)
    BnSaved s = (BnSaved) c.saved();
    Emitter em = c.em();
    long ch = c.rankedDims(c.in(0))[1];
    int rank = c.rankedDims(c.in(0)).length;
    String dBias = PerChannel.sum(em, g, rank); // [1, C, 1...]
    String gxc = PerChannel.sum(em, em.mul(g, s.xc()), rank);
    if (c.active(2)) {
      c.accumulate(2, em.reshape(dBias, ch));
    }
    if (c.active(1)) {
      c.accumulate(1, em.reshape(em.mul(gxc, s.inv()), ch));
    }
    if (c.active(0)) {
      String rn = em.unary("Reciprocal", s.count());
      String k1 = em.mul(dBias, rn);
      String k2 = em.mul(em.mul(gxc, em.mul(s.inv(), s.inv())), rn);
      // xc * k2 + k1 in one pass
      String t = PerChannel.affine(em, s.xc(), em.reshape(k2, ch), em.reshape(k1, ch), ch);
      String dx = em.mul(em.sub(g, t), s.a());
      c.accumulate(0, dx);
    }
  }

  private static LnSaved lnForward(NodeContext c) {
    Onnx.NodeProto n = c.node();
    boolean needed = c.active(0) || c.active(1) || c.active(2);
    if (!needed) {
      c.copyNode();
      return null;
    }
    Emitter em = c.em();
    Onnx.NodeProto.Builder b = n.toBuilder().clearOutput().addOutput(n.getOutput(0));
    String mean = c.out(1).isEmpty() ? em.fresh("ln_mean") : c.out(1);
    String inv = c.out(2).isEmpty() ? em.fresh("ln_inv_std") : c.out(2);
    b.addOutput(mean).addOutput(inv);
    int t = em.typeOr(c.in(0));
    if (t == Onnx.TensorProto.DataType.DOUBLE_VALUE && !NodeAttrs.has(n, "stash_type")) {
      b.addAttribute(Attr.i("stash_type", t));
    }
    c.emitNode(b.build());
    return new LnSaved(mean, inv);
  }

  private static void lnBackward(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    if (c.grad(1) != null || c.grad(2) != null) {
      throw c.unsupported("gradients through LayerNormalization's Mean/InvStdDev outputs");
    }
    LnSaved s = (LnSaved) c.saved();
    Emitter em = c.em();
    String x = c.in(0);
    long[] xd = c.rankedDims(x);
    int axis = Dims.axis(c.attrI("axis", -1), xd.length);
    long[] normAxes = Dims.range(axis, xd.length);
    int t = em.typeOr(x);
    String mean = cast(em, s.mean(), t);
    String inv = cast(em, s.invStd(), t);
    String xhat = em.mul(em.sub(x, mean), inv);
    if (c.active(1)) {
      c.accumulate(1, em.sumToShape(em.mul(g, xhat), c.in(1)));
    }
    if (c.active(2)) {
      c.accumulate(2, em.sumToShape(g, c.in(2)));
    }
    if (c.active(0)) {
      String dxhat = em.mul(g, c.in(1));
      String m1 = em.reduceMean(dxhat, normAxes, true);
      String m2 = em.reduceMean(em.mul(dxhat, xhat), normAxes, true);
      String dx = em.mul(em.sub(em.sub(dxhat, m1), em.mul(xhat, m2)), inv);
      em.declare(dx, t, xd);
      c.accumulate(0, dx);
    }
  }

  private static String cast(Emitter em, String v, int type) {
    int vt = em.type(v);
    return vt == type || vt == 0 ? v : em.node("Cast", new String[] {v}, Attr.i("to", type));
  }
}
