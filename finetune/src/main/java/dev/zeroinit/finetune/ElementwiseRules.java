package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * Elementwise arithmetic with numpy broadcasting (each input's gradient summed back to its own shape),
 * unary math, Where, Clip, and the ops that pass the gradient through (Identity, Dropout, Cast,
 * Expand).
 */
final class ElementwiseRules {
  private ElementwiseRules() {}

  static void register(GradientRules r) {
    r.put("Add", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      for (int k = 0; k < 2; k++) {
        if (c.active(k)) {
          c.accumulate(k, c.em().sumToShape(g, c.in(k)));
        }
      }
    });
    r.put("Sub", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      if (c.active(0)) {
        c.accumulate(0, c.em().sumToShape(g, c.in(0)));
      }
      if (c.active(1)) {
        c.accumulate(1, c.em().neg(c.em().sumToShape(g, c.in(1))));
      }
    });
    r.put("Mul", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      Emitter em = c.em();
      if (c.active(0)) {
        c.accumulate(0, em.sumToShape(em.mul(g, c.in(1)), c.in(0)));
      }
      if (c.active(1)) {
        c.accumulate(1, em.sumToShape(em.mul(g, c.in(0)), c.in(1)));
      }
    });
    r.put("Div", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      Emitter em = c.em();
      if (c.active(0)) {
        c.accumulate(0, em.sumToShape(em.div(g, c.in(1)), c.in(0)));
      }
      if (c.active(1)) {
        // d(a/b)/db = -(a/b)/b = -y/b
        String t = em.div(em.mul(g, c.out(0)), c.in(1));
        c.accumulate(1, em.neg(em.sumToShape(t, c.in(1))));
      }
    });
    r.put("Pow", ElementwiseRules::pow);
    r.put("Neg", c -> unary(c, g -> c.em().neg(g)));
    r.put("Exp", c -> unary(c, g -> c.em().mul(g, c.out(0))));
    r.put("Log", c -> unary(c, g -> c.em().div(g, c.in(0))));
    r.put("Sqrt", c -> unary(c, g -> c.em().mulScalar(c.em().div(g, c.out(0)), 0.5)));
    r.put("Reciprocal", c -> unary(c, g -> {
      Emitter em = c.em();
      return em.neg(em.mul(g, em.mul(c.out(0), c.out(0))));
    }));
    r.put("Abs", c -> unary(c, g -> c.em().mul(g, c.em().unary("Sign", c.in(0)))));
    r.put("Erf", c -> unary(c, g -> {
      Emitter em = c.em();
      String x = c.in(0);
      String e = em.unary("Exp", em.neg(em.mul(x, x)));
      return em.mul(g, em.mulScalar(e, 2 / Math.sqrt(Math.PI)));
    }));
    r.put("Sum", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      for (int k = 0; k < c.inputCount(); k++) {
        if (c.active(k)) {
          c.accumulate(k, c.em().sumToShape(g, c.in(k)));
        }
      }
    });
    r.put("Mean", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      String scaled = c.em().mulScalar(g, 1.0 / c.inputCount());
      for (int k = 0; k < c.inputCount(); k++) {
        if (c.active(k)) {
          c.accumulate(k, c.em().sumToShape(scaled, c.in(k)));
        }
      }
    });
    r.put("Where", c -> {
      String g = c.grad(0);
      if (g == null) {
        return;
      }
      Emitter em = c.em();
      String zero = em.scalar(0, typeOf(c, g));
      if (c.active(1)) {
        c.accumulate(1, em.sumToShape(em.node("Where", new String[] {c.in(0), g, zero}), c.in(1)));
      }
      if (c.active(2)) {
        c.accumulate(2, em.sumToShape(em.node("Where", new String[] {c.in(0), zero, g}), c.in(2)));
      }
    });
    r.put("Clip", c -> {
      if (c.active(1) || c.active(2)) {
        throw c.unsupported("gradients for Clip's min/max inputs");
      }
      unary(c, g -> {
        Emitter em = c.em();
        String x = c.in(0);
        String mask = null;
        if (!c.in(1).isEmpty()) {
          mask = em.node("GreaterOrEqual", new String[] {x, c.in(1)});
        }
        if (!c.in(2).isEmpty()) {
          String m = em.node("LessOrEqual", new String[] {x, c.in(2)});
          mask = mask == null ? m : em.node("And", new String[] {mask, m});
        }
        if (mask == null) {
          return g;
        }
        return em.node("Where", new String[] {mask, g, em.scalar(0, typeOf(c, g))});
      });
    });
    r.put("Identity", c -> unary(c, g -> g));
    r.put("Expand", c -> unary(c, g -> c.em().sumToShape(g, c.in(0))));
    r.put("Cast", c -> unary(c, g -> {
      int from = c.type(c.in(0));
      int to = (int) c.attrI("to", 0);
      if (from == to || from == 0) {
        return g;
      }
      return c.em().node("Cast", new String[] {g}, Attr.i("to", from));
    }));
    r.put("Dropout", new GradientRule() {
      @Override
      public Object forward(NodeContext c) {
        // the step graph does not drop: Dropout is the identity on its first output
        if (!c.out(1).isEmpty()) {
          Onnx.NodeProto n = c.node();
          c.emitNode(Onnx.NodeProto.newBuilder().setName(n.getName()).setOpType("Dropout")
              .addInput(n.getInput(0)).addAllOutput(n.getOutputList()).build());
        } else {
          Onnx.NodeProto n = c.node();
          c.emitNode(Onnx.NodeProto.newBuilder().setName(n.getName()).setOpType("Identity")
              .addInput(n.getInput(0)).addOutput(n.getOutput(0)).build());
        }
        return null;
      }

      @Override
      public void backward(NodeContext c) {
        unary(c, g -> g);
      }
    });
  }

  /** Input 0's gradient from output 0's by {@code f}, when both exist. */
  static void unary(NodeContext c, java.util.function.UnaryOperator<String> f) {
    String g = c.grad(0);
    if (g != null && c.active(0)) {
      c.accumulate(0, f.apply(g));
    }
  }

  static int typeOf(NodeContext c, String g) {
    int t = c.type(g);
    return t == 0 ? c.em().floatType() : t;
  }

  private static void pow(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    String a = c.in(0);
    String b = c.in(1);
    int type = typeOf(c, g);
    if (c.active(0)) {
      double[] e = c.floats(b);
      long[] ei = c.ints(b);
      String d;
      if ((e != null && e.length == 1) || (ei != null && ei.length == 1)) {
        double p = e != null ? e[0] : ei[0];
        if (p == 2) {
          d = em.mulScalar(a, 2);
        } else if (p == 1) {
          d = null;
        } else {
          d = em.mulScalar(em.node("Pow", new String[] {a, em.scalar(p - 1, type)}), p);
        }
      } else {
        String bf = c.type(b) == type ? b : em.node("Cast", new String[] {b}, Attr.i("to", type));
        d = em.mul(em.node("Pow", new String[] {a, em.sub(bf, em.scalar(1, type))}), bf);
      }
      c.accumulate(0, em.sumToShape(d == null ? g : em.mul(g, d), a));
    }
    if (c.active(1)) {
      String t = em.mul(em.mul(g, c.out(0)), em.unary("Log", a));
      c.accumulate(1, em.sumToShape(t, b));
    }
  }
}
