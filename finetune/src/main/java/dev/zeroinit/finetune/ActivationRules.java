package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.ElementwiseRules.typeOf;
import static dev.zeroinit.finetune.ElementwiseRules.unary;

/**
 * Activations: Relu (a mask from the output), LeakyRelu, Sigmoid and Tanh (from the output), Gelu
 * (exact and tanh approximation), HardSigmoid, HardSwish, Softmax and LogSoftmax (one axis, opset 13
 * and later).
 */
final class ActivationRules {
  private ActivationRules() {}

  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  private static final double GELU_TANH_C = 0.044715;

  static void register(GradientRules r) {
    // d relu(x)/dx = 1 where the output is positive: Where(y > 0, g, 0). (Mul by Sign(y), the same
    // mask, was 2-3% slower per ResNet-18 step: ONNX Runtime's Sign is not vectorised.)
    r.put("Relu", c -> unary(c, g -> {
      Emitter em = c.em();
      String zero = em.scalar(0, typeOf(c, g));
      String positive = em.node("Greater", new String[] {c.out(0), zero});
      return em.node("Where", new String[] {positive, g, zero});
    }));
    r.put("LeakyRelu", c -> unary(c, g -> {
      Emitter em = c.em();
      double alpha = c.attrF("alpha", 0.01f);
      String pos = em.node("Greater", new String[] {c.in(0), em.scalar(0, typeOf(c, g))});
      return em.node("Where", new String[] {pos, g, em.mulScalar(g, alpha)});
    }));
    r.put("Sigmoid", c -> unary(c, g -> {
      Emitter em = c.em();
      String y = c.out(0);
      return em.mul(g, em.mul(y, em.sub(em.scalar(1, typeOf(c, g)), y)));
    }));
    r.put("Tanh", c -> unary(c, g -> {
      Emitter em = c.em();
      String y = c.out(0);
      return em.mul(g, em.sub(em.scalar(1, typeOf(c, g)), em.mul(y, y)));
    }));
    r.put("Gelu", c -> unary(c, g -> gelu(c, g)));
    r.put("HardSigmoid", c -> unary(c, g -> {
      Emitter em = c.em();
      int t = typeOf(c, g);
      double alpha = c.attrF("alpha", 0.2f);
      String y = c.out(0);
      String inside = em.node("And", new String[] {
          em.node("Greater", new String[] {y, em.scalar(0, t)}),
          em.node("Less", new String[] {y, em.scalar(1, t)})});
      return em.node("Where", new String[] {inside, em.mulScalar(g, alpha), em.scalar(0, t)});
    }));
    r.put("HardSwish", c -> unary(c, g -> {
      // y = x * clip(x/6 + 1/2, 0, 1); dy/dx = 0 below -3, 1 above 3, x/3 + 1/2 between
      Emitter em = c.em();
      int t = typeOf(c, g);
      String x = c.in(0);
      String inner = em.add(em.mulScalar(x, 1.0 / 3), em.scalar(0.5, t));
      String upper = em.node("Where", new String[] {
          em.node("Greater", new String[] {x, em.scalar(3, t)}), em.scalar(1, t), inner});
      String d = em.node("Where", new String[] {
          em.node("Less", new String[] {x, em.scalar(-3, t)}), em.scalar(0, t), upper});
      return em.mul(g, d);
    }));
    r.put("Softmax", c -> unary(c, g -> {
      Emitter em = c.em();
      String y = c.out(0);
      long[] axis = softmaxAxis(c);
      String s = em.reduceSum(em.mul(g, y), axis, true);
      return em.mul(y, em.sub(g, s));
    }));
    r.put("LogSoftmax", c -> unary(c, g -> {
      Emitter em = c.em();
      long[] axis = softmaxAxis(c);
      String s = em.reduceSum(g, axis, true);
      return em.sub(g, em.mul(em.unary("Exp", c.out(0)), s));
    }));
  }

  private static long[] softmaxAxis(NodeContext c) {
    long[] d = c.rankedDims(c.in(0));
    if (c.em().opset() < 13) {
      // before opset 13 Softmax normalises over all axes from `axis` on (default 1)
      int a = Dims.axis(c.attrI("axis", 1), d.length);
      return Dims.range(a, d.length);
    }
    return new long[] {Dims.axis(c.attrI("axis", -1), d.length)};
  }

  private static String gelu(NodeContext c, String g) {
    Emitter em = c.em();
    int t = typeOf(c, g);
    String x = c.in(0);
    String approx = c.attrS("approximate", "none");
    String d;
    if (approx.equals("tanh")) {
      // y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
      String x2 = em.mul(x, x);
      String u = em.mulScalar(em.mul(x, em.add(em.mulScalar(x2, GELU_TANH_C), em.scalar(1, t))),
          SQRT_2_OVER_PI);
      String th = em.unary("Tanh", u);
      String left = em.mulScalar(em.add(th, em.scalar(1, t)), 0.5);
      String sech2 = em.sub(em.scalar(1, t), em.mul(th, th));
      String du = em.mulScalar(em.add(em.mulScalar(x2, 3 * GELU_TANH_C), em.scalar(1, t)),
          SQRT_2_OVER_PI);
      d = em.add(left, em.mulScalar(em.mul(x, em.mul(sech2, du)), 0.5));
    } else if (approx.equals("none")) {
      // d/dx x Phi(x) = Phi(x) + x phi(x)
      String cdf = em.mulScalar(em.add(em.unary("Erf", em.mulScalar(x, 1 / Math.sqrt(2))),
          em.scalar(1, t)), 0.5);
      String pdf = em.mulScalar(em.unary("Exp", em.mulScalar(em.mul(x, x), -0.5)),
          1 / Math.sqrt(2 * Math.PI));
      d = em.add(cdf, em.mul(x, pdf));
    } else {
      throw c.unsupported("approximate='" + approx + "'");
    }
    return em.mul(g, d);
  }
}
