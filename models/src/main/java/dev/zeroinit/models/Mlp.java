package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * The ZerO paper's MLP for MNIST-sized inputs, 784-784-n_h-n_h-10: "input" [batch, 784] to "logits"
 * [batch, classes], four Gemms (transB=1, PyTorch Linear layout [out, in]) without biases, ReLU
 * between them. It exercises every case of the ZerO matrix rule: square (784 to 784), and, with
 * n_h above or below 784, dimension-increasing (Hadamard) or decreasing (partial identity) layers.
 */
public final class Mlp {
  public static final String NAME = "mlp";
  public static final String DESCRIPTION =
      "the paper's MLP 784-784-n_h-n_h-10, no biases, ReLU (n_h = hidden option, default 1024)";
  public static final int IN_FEATURES = 784;

  private Mlp() {}

  /** Builds the model with the given options (seed, classes, hidden, data type). */
  public static Onnx.ModelProto build(ModelOptions o) {
    ModelBuilder m = new ModelBuilder("mlp").seed(o.seed()).opset(o.opset()).docString(DESCRIPTION);
    GraphBuilder g = m.graph();
    String x = g.input("input", o.dataType(), -1, IN_FEATURES);
    int[] widths = {IN_FEATURES, o.hidden(), o.hidden()};
    for (int i = 0; i < widths.length; i++) {
      g.scope("fc" + (i + 1));
      x = g.relu(g.gemm(x, widths[i], true, false));
    }
    g.scope("fc4");
    g.output(g.rename(g.gemm(x, o.classesOr(10), true, false), "logits"));
    return m.build();
  }
}
