package dev.zeroinit.finetune;

import dev.zeroinit.finetune.TrainStepGraph.Carried;
import dev.zeroinit.finetune.TrainStepGraph.Role;
import dev.zeroinit.onnxio.build.Attr;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the optimizer update of every parameter (see {@link OptimizerConfig} for the formulas),
 * with per-step scalars (1 - lr*wd, bias corrections) computed once. Plain SGD without momentum
 * receives gradients already multiplied by -lr (the seed of the backward pass is scaled), so its
 * update is a single Add per parameter (two with weight decay).
 */
final class OptimizerBuilder {
  private OptimizerBuilder() {}

  /** One parameter: its name, its gradient (null when none reaches it), type and dims. */
  record Param(String name, String grad, int elemType, long[] dims) {}

  /** Whether the backward pass should be seeded with -lr instead of 1 for this optimizer. */
  static boolean prescales(OptimizerConfig cfg) {
    return cfg.kind() == OptimizerConfig.Kind.SGD && cfg.momentum() == 0;
  }

  /**
   * Emits the updates; returns the carried values (each parameter, its optimizer state, the step
   * count) with the contract's input and output names.
   *
   * @param prescaled whether the gradients are already multiplied by -lr
   */
  static List<Carried> emit(Emitter em, OptimizerConfig cfg, String lr, String step,
      List<Param> params, boolean prescaled) {
    em.scope("opt");
    List<Carried> carried = new ArrayList<>();
    int t = em.floatType();
    String one = em.scalar(1, t);
    String decay = cfg.weightDecay() == 0 ? null
        : em.sub(one, em.mul(lr, em.scalar(cfg.weightDecay(), t))); // 1 - lr * wd
    // step count: t = step + 1 after this step
    String stepNew = step + ".new";
    em.add("Add", new String[] {step, em.intScalar(1)}, new String[] {stepNew});
    carried.add(new Carried(step, stepNew, Role.STEP, null,
        dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType.INT64_VALUE, new long[0]));
    String stepSize = null;
    String bc2Sqrt = null;
    if (cfg.kind() == OptimizerConfig.Kind.ADAMW) {
      String tf = em.node("Cast", new String[] {stepNew}, Attr.i("to", t));
      String bc1 = em.sub(one, em.node("Pow", new String[] {em.scalar(cfg.beta1(), t), tf}));
      String bc2 = em.sub(one, em.node("Pow", new String[] {em.scalar(cfg.beta2(), t), tf}));
      stepSize = em.div(lr, bc1);
      bc2Sqrt = em.unary("Sqrt", bc2);
    }
    for (Param p : params) {
      em.scope("opt/" + p.name());
      String g = p.grad() == null ? em.zerosLike(p.name()) : p.grad();
      String next = p.name() + ".new";
      carried.add(new Carried(p.name(), next, Role.PARAMETER, p.name(), p.elemType(), p.dims()));
      switch (cfg.kind()) {
        case SGD -> {
          if (prescaled) {
            // g is -lr * grad: p' = p * (1 - lr * wd) + g
            String base = decay == null ? p.name() : em.mul(p.name(), decay);
            em.add("Add", new String[] {base, g}, new String[] {next});
            break;
          }
          String d = cfg.weightDecay() == 0 ? g
              : em.add(g, em.mulScalar(p.name(), cfg.weightDecay()));
          if (cfg.momentum() > 0) {
            String buf = p.name() + ".momentum";
            String bufNext = buf + ".new";
            em.add("Add", new String[] {em.mulScalar(buf, cfg.momentum()), d},
                new String[] {bufNext});
            carried.add(new Carried(buf, bufNext, Role.MOMENTUM, p.name(), p.elemType(),
                p.dims()));
            d = cfg.nesterov() ? em.add(d, em.mulScalar(bufNext, cfg.momentum())) : bufNext;
          }
          em.add("Sub", new String[] {p.name(), em.mul(d, lr)}, new String[] {next});
        }
        case ADAMW -> {
          String m = p.name() + ".exp_avg";
          String v = p.name() + ".exp_avg_sq";
          String mNext = m + ".new";
          String vNext = v + ".new";
          em.add("Add", new String[] {em.mulScalar(m, cfg.beta1()),
              em.mulScalar(g, 1 - cfg.beta1())}, new String[] {mNext});
          em.add("Add", new String[] {em.mulScalar(v, cfg.beta2()),
              em.mulScalar(em.mul(g, g), 1 - cfg.beta2())}, new String[] {vNext});
          carried.add(new Carried(m, mNext, Role.EXP_AVG, p.name(), p.elemType(), p.dims()));
          carried.add(new Carried(v, vNext, Role.EXP_AVG_SQ, p.name(), p.elemType(), p.dims()));
          String denom = em.add(em.div(em.unary("Sqrt", vNext), bc2Sqrt),
              em.scalar(cfg.epsilon(), t));
          String base = decay == null ? p.name() : em.mul(p.name(), decay);
          em.add("Sub", new String[] {base, em.mul(em.div(mNext, denom), stepSize)},
              new String[] {next});
        }
        default -> throw new IllegalStateException();
      }
    }
    em.scope("opt");
    return carried;
  }
}
