package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registry of derivative rules, one per ONNX op type of the default domain. {@link #standard()}
 * holds every rule this module has: elementwise arithmetic, activations, MatMul/Gemm, Conv,
 * normalisation, pooling, shape ops and reductions (see the {@code *Rules} classes).
 */
final class GradientRules {
  private final Map<String, GradientRule> rules = new TreeMap<>();

  /** Every rule of this module. */
  static GradientRules standard() {
    GradientRules r = new GradientRules();
    ElementwiseRules.register(r);
    ActivationRules.register(r);
    LinearRules.register(r);
    ConvRules.register(r);
    NormalizationRules.register(r);
    PoolingRules.register(r);
    ShapeRules.register(r);
    return r;
  }

  void put(String opType, GradientRule rule) {
    rules.put(opType, rule);
  }

  /** The rule of a node's op, or null (ops of other domains have none). */
  GradientRule get(Onnx.NodeProto node) {
    String domain = node.getDomain();
    if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
      return null;
    }
    return rules.get(node.getOpType());
  }

  /** The op types with a rule, sorted. */
  List<String> supported() {
    return List.copyOf(rules.keySet());
  }

  UnsupportedOpException unsupported(Onnx.NodeProto node, String detail) {
    String name = node.getName().isEmpty()
        ? (node.getOutputCount() > 0 ? node.getOutput(0) : "(unnamed)") : node.getName();
    String op = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx")
        ? node.getOpType() : node.getDomain() + "." + node.getOpType();
    return new UnsupportedOpException(op, name, detail, supported());
  }
}
