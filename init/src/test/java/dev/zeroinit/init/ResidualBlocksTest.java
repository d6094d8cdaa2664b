package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.init.OrtRunner.Tensor;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Residual blocks are found from the graph's structure, and zero-last makes each block the identity. */
class ResidualBlocksTest {
  private static final int FLOAT = 1;

  /** x -> [Gemm 8->16 -> Relu -> Gemm 16->8 (+bias)] + x, twice, then a classifier. */
  private static ModelProto residualMlp() {
    GraphBuilder g = new GraphBuilder("resmlp", 5);
    g.input("x", FLOAT, 4, 8);
    String h = "x";
    for (int b = 0; b < 2; b++) {
      String w1 = g.initializer("b" + b + ".w1", FLOAT, new long[] {16, 8}, random(128, b));
      String w2 = g.initializer("b" + b + ".w2", FLOAT, new long[] {8, 16}, random(128, b + 7));
      String c2 = g.initializer("b" + b + ".c2", FLOAT, new long[] {8}, random(8, b + 3));
      g.node("Gemm", new String[] {h, w1}, new String[] {"b" + b + ".h1"}, Attr.i("transB", 1));
      g.node("Relu", new String[] {"b" + b + ".h1"}, new String[] {"b" + b + ".r"});
      g.node("Gemm", new String[] {"b" + b + ".r", w2, c2}, new String[] {"b" + b + ".h2"}, Attr.i("transB", 1));
      g.node("Add", new String[] {h, "b" + b + ".h2"}, new String[] {"b" + b + ".out"});
      h = "b" + b + ".out";
    }
    g.node("Identity", new String[] {h}, new String[] {"y"});
    g.output("y", FLOAT, 4, 8);
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
  }

  @Test
  void zeroLastMakesEveryResidualBlockTheIdentity() throws Exception {
    ModelProto m = residualMlp();
    Plan plan = Planner.plan(m, PlanOptions.defaults());
    assertEquals(2, plan.blocks().size());
    for (ResidualBlock b : plan.blocks()) {
      assertEquals("identity", b.skip());
      assertEquals(2, b.branchLayers().size());
      assertTrue(b.branchEnd().startsWith("Gemm"), b.branchEnd());
      assertTrue(b.zeroed());
    }
    PlanEntry w2 = plan.entries().stream().filter(e -> e.name().equals("b0.w2")).findFirst().orElseThrow();
    assertEquals("zero", w2.rule());
    assertEquals(Role.WEIGHT, w2.role());
    ModelProto out = Rewriter.apply(m, plan, Map.of());
    Tensor x = Tensor.random(3, 4, 8);
    Tensor y = OrtRunner.run(out, "x", x);
    for (int i = 0; i < x.values().length; i++) {
      assertEquals(x.values()[i], y.values()[i], 0f, "the network starts as the identity");
    }
  }

  @Test
  void plainListsTheBlocksButZeroesNothing() throws Exception {
    Plan plan = Planner.plan(residualMlp(), PlanOptions.defaults().withResidual(ResidualMode.PLAIN));
    assertEquals(2, plan.blocks().size());
    assertFalse(plan.blocks().get(0).zeroed());
    PlanEntry w2 = plan.entries().stream().filter(e -> e.name().equals("b0.w2")).findFirst().orElseThrow();
    assertEquals("partial-identity", w2.rule());
  }

  @Test
  void twoParallelBranchesOfEqualDepthAreAForkNotABlock() throws Exception {
    GraphBuilder g = new GraphBuilder("fork", 5);
    g.input("x", FLOAT, 4, 8);
    for (String side : new String[] {"a", "b"}) {
      String w = g.initializer(side + ".w", FLOAT, new long[] {8, 8}, random(64, side.charAt(0)));
      g.node("Gemm", new String[] {"x", w}, new String[] {side + ".h"}, Attr.i("transB", 1));
    }
    g.node("Add", new String[] {"a.h", "b.h"}, new String[] {"y"});
    g.output("y", FLOAT, 4, 8);
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
    assertEquals(List.of(), Planner.plan(m, PlanOptions.defaults()).blocks());
  }

  @Test
  void torchvisionInvertedResidualsAndTransformerBlocksAreFound() throws Exception {
    try (OnnxModel mobilenet = OnnxModel.read(Fixtures.sharedModels().resolve("mobilenet_v3_small_opset13.onnx"));
        OnnxModel lm = OnnxModel.read(Fixtures.sharedModels().resolve("transformer_lm_opset14.onnx"));
        OnnxModel squeeze = OnnxModel.read(Fixtures.sharedModels().resolve("squeezenet1_1_opset13.onnx"))) {
      Plan mb = Planner.plan(mobilenet.proto(), PlanOptions.defaults());
      assertEquals(6, mb.blocks().size(), "mobilenet_v3_small has 6 residual Adds");
      mb.blocks().forEach(b -> assertEquals("identity", b.skip()));
      Plan t = Planner.plan(lm.proto(), PlanOptions.defaults());
      assertEquals(List.of("Gemm '/encoder/layers.0/self_attn/Gemm'", "MatMul '/encoder/layers.0/linear2/MatMul'",
              "Gemm '/encoder/layers.1/self_attn/Gemm'", "MatMul '/encoder/layers.1/linear2/MatMul'"),
          t.blocks().stream().map(ResidualBlock::branchEnd).toList(),
          "attention output projection and MLP output projection end the branches");
      assertEquals(0, Planner.plan(squeeze.proto(), PlanOptions.defaults()).blocks().size(),
          "squeezenet concatenates; it has no residual Add");
    }
  }

  private static float[] random(int n, int seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }
}
