package dev.zeroinit.finetune;

/**
 * MatMul (numpy semantics: 1-D operands, batched and broadcast batch dims) and Gemm (every
 * transA/transB/alpha/beta combination, C broadcast). Backward products are MatMul with explicit
 * Transpose, which ONNX Runtime's CPU kernels run several times faster than Gemm with trans flags;
 * the transpose goes on the smaller operand where there is a choice.
 */
final class LinearRules {
  private LinearRules() {}

  static void register(GradientRules r) {
    r.put("MatMul", LinearRules::matMul);
    r.put("Gemm", LinearRules::gemm);
  }

  private static void gemm(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    String a = c.in(0);
    String b = c.in(1);
    boolean ta = c.attrI("transA", 0) != 0;
    boolean tb = c.attrI("transB", 0) != 0;
    double alpha = c.attrF("alpha", 1f);
    double beta = c.attrF("beta", 1f);
    String ga = em.mulScalar(g, alpha);
    if (c.active(0)) {
      String da;
      if (!ta) {
        da = tb ? em.matMul(ga, b) : em.matMul(ga, em.transpose(b, 1, 0));
      } else {
        da = tb ? em.transpose(em.matMul(ga, b), 1, 0) : em.matMul(b, em.transpose(ga, 1, 0));
      }
      c.accumulate(0, da);
    }
    if (c.active(1)) {
      String db;
      if (!tb) {
        db = ta ? em.matMul(a, ga) : em.matMul(em.transpose(a, 1, 0), ga);
      } else {
        db = ta ? em.transpose(em.matMul(a, ga), 1, 0) : em.matMul(em.transpose(ga, 1, 0), a);
      }
      c.accumulate(1, db);
    }
    if (c.active(2)) {
      c.accumulate(2, em.sumToShape(em.mulScalar(g, beta), c.in(2)));
    }
  }

  private static void matMul(NodeContext c) {
    String g = c.grad(0);
    if (g == null) {
      return;
    }
    Emitter em = c.em();
    String a = c.in(0);
    String b = c.in(1);
    long[] ad = c.rankedDims(a);
    long[] bd = c.rankedDims(b);
    int ra = ad.length;
    int rb = bd.length;
    if (ra == 1 && rb == 1) {
      // dot product: y scalar
      if (c.active(0)) {
        c.accumulate(0, em.mul(g, b));
      }
      if (c.active(1)) {
        c.accumulate(1, em.mul(g, a));
      }
      return;
    }
    if (c.active(0)) {
      String da;
      if (rb == 1) {
        // y[..., m] = sum_k a[..., m, k] b[k]: da = g[..., m, 1] * b[k]
        da = em.mul(em.unsqueeze(g, -1), b);
      } else {
        String gg = ra == 1 ? em.unsqueeze(g, -2) : g;
        da = em.matMul(gg, em.transposeLast2(b, rb));
        if (ra == 1) {
          // [..., 1, k] to [k]
          long[] dd = em.dims(da);
          da = em.reduceSum(da, Dims.range(0, dd.length - 1), false);
        }
      }
      c.accumulate(0, em.sumToShape(da, a));
    }
    if (c.active(1)) {
      String db;
      if (ra == 1) {
        // y[..., n] = sum_k a[k] b[..., k, n]: db = a[k, 1] * g[..., 1, n]
        db = em.mul(em.unsqueeze(a, -1), em.unsqueeze(g, -2));
      } else if (rb == 1) {
        // db[k] = sum g[..., m] a[..., m, k]
        db = em.matMul(em.unsqueeze(g, -2), a);
        long[] dd = em.dims(db);
        db = em.reduceSum(db, Dims.range(0, dd.length - 1), false);
      } else if (rb == 2 && ra > 2 && ad[ra - 1] >= 0 && bd[1] >= 0) {
        // a weight shared over batch dims: fold them into the rows, one 2-D product
        long k = ad[ra - 1];
        long n = bd[1];
        String a2 = em.reshape(a, -1, k);
        String g2 = em.reshape(g, -1, n);
        db = k <= n ? em.matMul(em.transpose(a2, 1, 0), g2)
            : em.transpose(em.matMul(em.transpose(g2, 1, 0), a2), 1, 0);
        em.declare(db, em.typeOr(g), bd);
      } else {
        db = em.matMul(em.transposeLast2(a, ra), g);
      }
      c.accumulate(1, em.sumToShape(db, b));
    }
  }
}
