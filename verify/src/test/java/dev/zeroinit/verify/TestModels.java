package dev.zeroinit.verify;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small models for the signal-check tests, built in code. */
final class TestModels {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  private TestModels() { }

  static Path write(Path dir, String name, ModelProto m) throws IOException {
    return Files.write(dir.resolve(name), m.toByteArray());
  }

  /** x [batch, 16] -> Gemm(W = 0, b = 0) -> Relu -> Gemm(W = 0) -> y [batch, 4]: no signal at all. */
  static ModelProto zeroChain() {
    ModelBuilder mb = new ModelBuilder("zero_chain");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 16);
    String w1 = g.initializer("fc1.weight", FLOAT, new long[] {16, 16}, new float[256]);
    String b1 = g.initializer("fc1.bias", FLOAT, new long[] {16}, new float[16]);
    String w2 = g.initializer("fc2.weight", FLOAT, new long[] {4, 16}, new float[64]);
    g.node("Gemm", new String[] {x, w1, b1}, new String[] {"h1"}, Attr.i("transB", 1));
    g.node("Relu", new String[] {"h1"}, new String[] {"a1"});
    g.node("Gemm", new String[] {"a1", w2}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, -1, 4);
    return mb.build();
  }

  /**
   * A small residual CNN: stem conv, two blocks conv-BN-relu-conv-BN + skip, pooling, a Gemm head.
   * Random (seeded) weights, as an exporter would give.
   */
  static ModelProto residualCnn() {
    ModelBuilder mb = new ModelBuilder("res_cnn").seed(7);
    GraphBuilder g = mb.graph();
    String x = g.input("image", FLOAT, -1, 3, 8, 8);
    g.scope("stem");
    String h = g.relu(g.batchNorm(g.conv(x, 8, 3, 1, 1, 1, false)));
    for (int b = 0; b < 2; b++) {
      g.scope("block" + b);
      String r = g.relu(g.batchNorm(g.conv(h, 8, 3, 1, 1, 1, false)));
      r = g.batchNorm(g.conv(r, 8, 3, 1, 1, 1, false));
      h = g.relu(g.add(r, h));
    }
    g.scope("head");
    String y = g.gemm(g.flatten(g.globalAveragePool(h)), 5, true);
    g.output(g.rename(y, "logits"));
    return mb.build();
  }

  /** x [batch, 3, 6, 6] float64 -> Conv -> y: ORT's CPU provider has no float64 Conv. */
  static ModelProto float64Conv() {
    ModelBuilder mb = new ModelBuilder("f64");
    GraphBuilder g = mb.graph();
    String x = g.input("x", TensorProto.DataType.DOUBLE_VALUE, -1, 3, 6, 6);
    String y = g.conv(x, 4, 3, 1, 1, 1, true);
    g.output(g.rename(y, "y"));
    return mb.build();
  }

  /** A UINT32 input (ORT's Java API cannot create one) cast to float and multiplied by a matrix. */
  static ModelProto uint32Input() {
    ModelBuilder mb = new ModelBuilder("u32");
    GraphBuilder g = mb.graph();
    String x = g.input("x", TensorProto.DataType.UINT32_VALUE, -1, 4);
    g.node("Cast", new String[] {x}, new String[] {"xf"}, Attr.i("to", FLOAT));
    g.declare("xf", FLOAT, -1, 4);
    String y = g.matMul("xf", 3);
    g.output(g.rename(y, "y"));
    return mb.build();
  }

  /** y = Log(x): NaN for every negative input. */
  static ModelProto logOfInput() {
    ModelBuilder mb = new ModelBuilder("log");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 8);
    String h = g.matMul(x, 8);
    g.node("Log", new String[] {h}, new String[] {"y"});
    g.output("y", FLOAT, -1, 8);
    return mb.build();
  }

  /** y = (x W) * 1e6: an end-to-end gain far above the default band. */
  static ModelProto loud() {
    ModelBuilder mb = new ModelBuilder("loud");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 8);
    String h = g.matMul(x, 8);
    String k = g.initializer("k", FLOAT, new long[0], new float[] {1e6f});
    g.node("Mul", new String[] {h, k}, new String[] {"y"});
    g.output("y", FLOAT, -1, 8);
    return mb.build();
  }

  /**
   * Token ids [batch, seq] -> Gather from a [vocab, 8] table -> MatMul -> logits; the ids also feed an
   * Add of two computed tensors (a residual Add) after a Relu.
   */
  static ModelProto tokens(int vocab) {
    ModelBuilder mb = new ModelBuilder("lm");
    GraphBuilder g = mb.graph().dimParams("batch", "seq");
    String ids = g.input("ids", TensorProto.DataType.INT64_VALUE, -1, -1);
    g.randomInitializer("emb", FLOAT, new long[] {vocab, 8}, 1.0);
    g.node("Gather", new String[] {"emb", ids}, new String[] {"e"});
    g.declare("e", FLOAT, -1, -1, 8);
    String h = g.matMul("e", 8);
    String r = g.relu(h);
    g.node("Add", new String[] {r, "e"}, new String[] {"res"});
    g.declare("res", FLOAT, -1, -1, 8);
    String y = g.matMul("res", 3);
    g.output(g.rename(y, "logits"));
    return mb.build();
  }

  /** Two inputs: float x [batch, 4] and a bool mask [batch, 4] and an int32 count [batch]. */
  static ModelProto mixedInputs() {
    ModelBuilder mb = new ModelBuilder("mixed");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 4);
    String m = g.input("mask", TensorProto.DataType.BOOL_VALUE, -1, 4);
    String c = g.input("count", TensorProto.DataType.INT32_VALUE, -1);
    g.node("Cast", new String[] {m}, new String[] {"mf"}, Attr.i("to", FLOAT));
    g.node("Mul", new String[] {x, "mf"}, new String[] {"xm"});
    g.node("Cast", new String[] {c}, new String[] {"cf"}, Attr.i("to", FLOAT));
    g.node("Unsqueeze", new String[] {"cf", g.initializer(Tensors.int64("axes", new long[] {1}, 1))},
        new String[] {"cu"});
    g.node("Add", new String[] {"xm", "cu"}, new String[] {"y"});
    g.output("y", FLOAT, -1, 4);
    return mb.build();
  }
}
