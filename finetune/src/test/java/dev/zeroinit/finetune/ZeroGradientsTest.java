package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The structural explanation of zero gradients, on small hand-built graphs. */
class ZeroGradientsTest {
  static final int FLOAT = Onnx.TensorProto.DataType.FLOAT_VALUE;

  /**
   * x -> MatMul(a) -> act -> MatMul(z) -> [BatchNormalization(s, b)] -> Add(skip: x) -> MatMul(head) -> y,
   * with z the zero weight.
   */
  private static Onnx.GraphProto block(String act, boolean norm) {
    ModelBuilder mb = new ModelBuilder("block").seed(2);
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 4);
    g.randomInitializer("a", FLOAT, new long[] {4, 4}, 1);
    g.randomInitializer("z", FLOAT, new long[] {4, 4}, 1);
    g.randomInitializer("s", FLOAT, new long[] {4}, 1);
    g.randomInitializer("b", FLOAT, new long[] {4}, 1);
    g.randomInitializer("head", FLOAT, new long[] {4, 2}, 1);
    g.node("MatMul", new String[] {x, "a"}, new String[] {"h"});
    g.node(act, new String[] {"h"}, new String[] {"r"});
    g.node("MatMul", new String[] {"r", "z"}, new String[] {"branch"});
    String end = "branch";
    if (norm) {
      g.initializer("mean", FLOAT, new long[] {4}, new float[4]);
      g.initializer("var", FLOAT, new long[] {4}, new float[] {1, 1, 1, 1});
      g.node("BatchNormalization", new String[] {"branch", "s", "b", "mean", "var"}, new String[] {"bn"});
      end = "bn";
    }
    g.node("Add", new String[] {end, x}, new String[] {"sum"});
    g.node("MatMul", new String[] {"sum", "head"}, new String[] {"y"});
    g.output("y", FLOAT, -1, 2);
    return mb.build().getGraph();
  }

  private static Map<String, ZeroGradients.Explanation> explain(Onnx.GraphProto g, Set<String> zero,
      Set<String> zeroConstants) {
    return ZeroGradients.explain(g, "y", zero, zeroConstants::contains, List.of("a", "z", "s", "b", "head"));
  }

  @Test
  void everythingBehindAZeroWeightIsBlockedAndTheWeightItselfIsNot() {
    Map<String, ZeroGradients.Explanation> e = explain(block("Relu", false), Set.of("z"), Set.of());
    assertEquals(Set.of("a"), e.keySet());
    assertEquals(Set.of("z"), e.get("a").weights());
    assertEquals(Set.of(ZeroGradients.Cause.PATH), e.get("a").causes());
  }

  @Test
  void aNormalisationOfTheZeroOutputBlocksItsScaleButNotItsBias() {
    Map<String, ZeroGradients.Explanation> e = explain(block("Relu", true), Set.of("z"), Set.of("b"));
    assertEquals(Set.of("a", "s"), e.keySet());
    assertEquals(Set.of(ZeroGradients.Cause.INPUT), e.get("s").causes());
    // the scale multiplies the normalised input, zero whatever the bias; the bias always learns
    assertEquals(Set.of("a", "s"), explain(block("Relu", true), Set.of("z"), Set.of()).keySet());
  }

  @Test
  void nothingIsClaimedWithoutAZeroWeight() {
    assertEquals(Map.of(), explain(block("Relu", true), Set.of(), Set.of("b")));
  }

  @Test
  void aReluOfAZeroTensorBlocksWhatFeedsIt() {
    // x -> MatMul(a) -> Relu -> MatMul(z) -> Relu -> MatMul(head) -> y: the second Relu's mask is all zero,
    // so even the zero weight and the head learn nothing; a LeakyRelu lets the gradient through
    for (String act : List.of("Relu", "LeakyRelu")) {
      ModelBuilder mb = new ModelBuilder("chain").seed(2);
      GraphBuilder g = mb.graph();
      String x = g.input("x", FLOAT, -1, 4);
      g.randomInitializer("a", FLOAT, new long[] {4, 4}, 1);
      g.randomInitializer("z", FLOAT, new long[] {4, 4}, 1);
      g.randomInitializer("head", FLOAT, new long[] {4, 2}, 1);
      g.node("MatMul", new String[] {x, "a"}, new String[] {"h"});
      g.node("Relu", new String[] {"h"}, new String[] {"r"});
      g.node("MatMul", new String[] {"r", "z"}, new String[] {"h2"});
      g.node(act, new String[] {"h2"}, new String[] {"r2"});
      g.node("MatMul", new String[] {"r2", "head"}, new String[] {"y"});
      g.output("y", FLOAT, -1, 2);
      Map<String, ZeroGradients.Explanation> e = ZeroGradients.explain(mb.build().getGraph(), "y", Set.of("z"),
          n -> false, List.of("a", "z", "head"));
      if (act.equals("Relu")) {
        assertEquals(Set.of("a", "z", "head"), e.keySet());
        assertEquals(Set.of(ZeroGradients.Cause.INPUT), e.get("head").causes());
      } else {
        assertEquals(Set.of("a", "head"), e.keySet(), "LeakyRelu(0) passes alpha * g; head reads LeakyRelu(0) = 0");
      }
    }
  }

  @Test
  void aGemmWithANonZeroBiasIsNotZeroSoWhatItFeedsLearns() {
    ModelBuilder mb = new ModelBuilder("gemm").seed(2);
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 4);
    g.randomInitializer("z", FLOAT, new long[] {4, 4}, 1);
    g.randomInitializer("c", FLOAT, new long[] {4}, 1);
    g.randomInitializer("head", FLOAT, new long[] {2, 4}, 1);
    g.node("Gemm", new String[] {x, "z", "c"}, new String[] {"h"}, Attr.i("transB", 1));
    g.node("Gemm", new String[] {"h", "head"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, -1, 2);
    Onnx.GraphProto graph = mb.build().getGraph();
    assertEquals(Map.of(), ZeroGradients.explain(graph, "y", Set.of("z"), n -> false, List.of("z", "c", "head")));
    assertEquals(Set.of("head"), ZeroGradients.explain(graph, "y", Set.of("z"), n -> n.equals("c"),
        List.of("z", "c", "head")).keySet());
  }
}
