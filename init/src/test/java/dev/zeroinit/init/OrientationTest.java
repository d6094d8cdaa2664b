package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.init.OrtRunner.Tensor;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every orientation case of DESIGN.md §2, checked end to end: build a model whose weight sits in the
 * case's position, rewrite it, run it on ONNX Runtime (CPU) with a probe input, and compare with the
 * same computation done directly with the intended P x Q matrix. A wrong orientation (W where W^T was
 * meant, a group or kernel tap misplaced) changes the output and fails the test.
 */
class OrientationTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
  private static final HadamardScale SCALE = HadamardScale.PAPER;

  // ------------------------------------------------------------------ Gemm

  @ParameterizedTest(name = "P={0} Q={1}")
  @CsvSource({"6, 4", "4, 6", "5, 5"})
  void gemmWithTransB1StoresWItself(int p, int q) throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 3, q);
    g.initializer("w", FLOAT, new long[] {p, q}, random(p * q));
    g.initializer("b", FLOAT, new long[] {p}, random(p));
    g.node("Gemm", new String[] {"x", "w", "b"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, 3, p);
    Tensor x = Tensor.random(1, 3, q);
    assertClose(xWt(x, w(p, q), 3, q), runRewritten(g, x));
  }

  @ParameterizedTest(name = "P={0} Q={1}")
  @CsvSource({"6, 4", "4, 6", "5, 3"})
  void gemmWithTransB0StoresWTransposed(int p, int q) throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, q);
    g.initializer("w", FLOAT, new long[] {q, p}, random(p * q));
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, Attr.f("alpha", 0.5f));
    g.output("y", FLOAT, 2, p);
    Tensor x = Tensor.random(2, 2, q);
    double[] expected = xWt(x, w(p, q), 2, q);
    for (int i = 0; i < expected.length; i++) {
      expected[i] *= 0.5;
    }
    assertClose(expected, runRewritten(g, x));
  }

  @ParameterizedTest(name = "transA={0}")
  @CsvSource({"0", "1"})
  void gemmWithTheWeightAsOperandAHoldsWOnTheLeft(int transA) throws Exception {
    int p = 5;
    int q = 3;
    int n = 4;
    GraphBuilder g = graph();
    // Y = A' * B' with A' = W (P x Q) constant, B' = X^T (Q x N)
    long[] aShape = transA == 1 ? new long[] {q, p} : new long[] {p, q};
    g.initializer("a", FLOAT, aShape, random(p * q));
    if (transA == 1) {
      g.input("x", FLOAT, q, n);
      g.node("Gemm", new String[] {"a", "x"}, new String[] {"y"}, Attr.i("transA", 1));
    } else {
      g.input("x", FLOAT, n, q);
      g.node("Gemm", new String[] {"a", "x"}, new String[] {"y"}, Attr.i("transB", 1));
    }
    g.output("y", FLOAT, p, n);
    Tensor x = transA == 1 ? Tensor.random(3, q, n) : Tensor.random(3, n, q);
    double[][] w = w(p, q);
    double[] expected = new double[p * n];
    for (int i = 0; i < p; i++) {
      for (int c = 0; c < n; c++) {
        double s = 0;
        for (int k = 0; k < q; k++) {
          float xv = transA == 1 ? x.values()[k * n + c] : x.values()[c * q + k];
          s += w[i][k] * xv;
        }
        expected[i * n + c] = s;
      }
    }
    assertClose(expected, runRewritten(g, x));
  }

  // ------------------------------------------------------------------ MatMul

  @ParameterizedTest(name = "P={0} Q={1}")
  @CsvSource({"7, 4", "4, 7", "4, 4"})
  void matMulWithTheWeightOnTheRightHoldsWTransposed(int p, int q) throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 3, q);
    g.initializer("w", FLOAT, new long[] {q, p}, random(p * q));
    g.node("MatMul", new String[] {"x", "w"}, new String[] {"y"});
    g.output("y", FLOAT, 2, 3, p);
    Tensor x = Tensor.random(4, 2, 3, q);
    assertClose(xWt(x, w(p, q), 6, q), runRewritten(g, x));
  }

  @Test
  void matMulWithTheWeightOnTheLeftHoldsWItself() throws Exception {
    int p = 6;
    int q = 3;
    int n = 5;
    GraphBuilder g = graph();
    g.input("x", FLOAT, q, n);
    g.initializer("w", FLOAT, new long[] {p, q}, random(p * q));
    g.node("MatMul", new String[] {"w", "x"}, new String[] {"y"});
    g.output("y", FLOAT, p, n);
    Tensor x = Tensor.random(5, q, n);
    assertClose(wX(w(p, q), x, q, n), runRewritten(g, x));
  }

  @Test
  void batchedMatMulWeightsHoldWTransposedInEverySlice() throws Exception {
    int p = 6;
    int q = 4;
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 3, q);
    g.initializer("w", FLOAT, new long[] {2, q, p}, random(2 * p * q));
    g.node("MatMul", new String[] {"x", "w"}, new String[] {"y"});
    g.output("y", FLOAT, 2, 3, p);
    Tensor x = Tensor.random(6, 2, 3, q);
    assertClose(xWt(x, w(p, q), 6, q), runRewritten(g, x));
    Plan plan = Planner.plan(model(g), PlanOptions.defaults());
    assertEquals(2, plan.entries().get(0).groups());
  }

  @Test
  void addOfAConstantAfterAMatMulIsABiasAndBecomesZero() throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 4);
    g.initializer("w", FLOAT, new long[] {4, 8}, random(32));
    g.initializer("bias", FLOAT, new long[] {8}, random(8));
    g.node("MatMul", new String[] {"x", "w"}, new String[] {"h"});
    g.node("Add", new String[] {"h", "bias"}, new String[] {"y"});
    g.output("y", FLOAT, 2, 8);
    Tensor x = Tensor.random(7, 2, 4);
    assertClose(xWt(x, w(8, 4), 2, 4), runRewritten(g, x));
  }

  // ------------------------------------------------------------------ chains

  @Test
  void weightReachedThroughTransposeIsStoredWithTheInverseTransposition() throws Exception {
    int p = 6;
    int q = 4;
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, q);
    g.initializer("w", FLOAT, new long[] {p, q}, random(p * q)); // PyTorch layout [out, in]
    g.node("Transpose", new String[] {"w"}, new String[] {"wt"}, Attr.ints("perm", 1, 0));
    g.node("MatMul", new String[] {"x", "wt"}, new String[] {"y"});
    g.output("y", FLOAT, 2, p);
    Tensor x = Tensor.random(8, 2, q);
    assertClose(xWt(x, w(p, q), 2, q), runRewritten(g, x));
    // stored [out, in] = W itself: row 0 of a Hadamard block is all +c
    PlanEntry e = Planner.plan(model(g), PlanOptions.defaults()).entries().get(0);
    assertTrue(e.orientation().contains("Transpose"), e.orientation());
  }

  @Test
  void weightReachedThroughReshapeCastAndIdentityKeepsItsStoredType() throws Exception {
    int p = 6;
    int q = 4;
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, q);
    g.initializer("w", FLOAT16, new long[] {p * q}, random(p * q));
    g.initializer(Tensors.int64Vector("shape2", p, q));
    g.node("Reshape", new String[] {"w", "shape2"}, new String[] {"w2"});
    g.node("Identity", new String[] {"w2"}, new String[] {"w3"});
    g.node("Cast", new String[] {"w3"}, new String[] {"w4"}, Attr.i("to", FLOAT));
    g.node("Gemm", new String[] {"x", "w4"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, 2, p);
    Tensor x = Tensor.random(9, 2, q);
    ModelProto rewritten = rewrite(model(g));
    assertClose(xWt(x, w(p, q), 2, q), OrtRunner.run(rewritten, "x", x));
    TensorProto w = rewritten.getGraph().getInitializer(0);
    assertEquals(FLOAT16, w.getDataType());
  }

  @Test
  void weightInAConstantNodeIsRewritten() throws Exception {
    int p = 3;
    int q = 5;
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, q);
    g.constant("wc", Tensors.of("wc", FLOAT, new long[] {p, q}, random(p * q)));
    g.node("Gemm", new String[] {"x", "wc"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, 2, p);
    Tensor x = Tensor.random(10, 2, q);
    assertClose(xWt(x, w(p, q), 2, q), runRewritten(g, x));
  }

  @Test
  void weightSharedByConsumersThatDisagreeIsSkippedAndLeftByteIdentical() throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 4);
    g.input("z", FLOAT, 2, 6);
    g.initializer("w", FLOAT, new long[] {6, 4}, random(24));
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y1"}, Attr.i("transB", 1)); // W = w (6x4)
    g.node("MatMul", new String[] {"z", "w"}, new String[] {"y2"}); // W = w^T (4x6)
    g.output("y1", FLOAT, 2, 6);
    g.output("y2", FLOAT, 2, 4);
    ModelProto m = model(g);
    Plan plan = Planner.plan(m, PlanOptions.defaults());
    PlanEntry e = plan.entries().get(0);
    assertFalse(e.rewritten());
    assertTrue(e.skipReason().contains("disagree"), e.skipReason());
    assertEquals(m.getGraph().getInitializer(0), rewrite(m).getGraph().getInitializer(0));
  }

  @Test
  void weightSharedByConsumersThatAgreeIsRewrittenOnce() throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 4);
    g.initializer("w", FLOAT, new long[] {6, 4}, random(24));
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y1"}, Attr.i("transB", 1));
    g.node("Identity", new String[] {"w"}, new String[] {"w_twin"});
    g.node("Gemm", new String[] {"x", "w_twin"}, new String[] {"y2"}, Attr.i("transB", 1));
    g.node("Add", new String[] {"y1", "y2"}, new String[] {"y"});
    g.output("y", FLOAT, 2, 6);
    Tensor x = Tensor.random(11, 2, 4);
    double[] one = xWt(x, w(6, 4), 2, 4);
    for (int i = 0; i < one.length; i++) {
      one[i] *= 2;
    }
    assertClose(one, runRewritten(g, x));
    Plan plan = Planner.plan(model(g), PlanOptions.defaults());
    assertEquals(1, plan.entries().size());
    assertEquals(2, plan.entries().get(0).consumers().size());
  }

  @Test
  void weightAlsoReadByAnUncoveredOpIsSkipped() throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 4);
    g.initializer("w", FLOAT, new long[] {4, 4}, random(16));
    g.node("MatMul", new String[] {"x", "w"}, new String[] {"h"});
    g.node("Mul", new String[] {"h", "w"}, new String[] {"y"});
    g.output("y", FLOAT, 2, 4);
    PlanEntry e = Planner.plan(model(g), PlanOptions.defaults()).entries().get(0);
    assertFalse(e.rewritten());
    assertTrue(e.skipReason().contains("Mul"), e.skipReason());
  }

  // ------------------------------------------------------------------ Conv / ConvTranspose

  /** c_out, c_in, kernel, group, spatial rank. */
  @ParameterizedTest(name = "Conv{4}d cout={0} cin={1} k={2} group={3}")
  @CsvSource({
      "8, 3, 3, 1, 2",   // P > Q: Hadamard
      "3, 8, 3, 1, 2",   // P < Q: partial identity
      "4, 4, 3, 1, 2",   // identity
      "8, 4, 3, 2, 2",   // grouped, Hadamard per group (P=4, Q=2)
      "6, 6, 3, 6, 2",   // depthwise: 1 x 1 per group
      "4, 4, 4, 1, 2",   // even kernel: tap at floor(k/2)
      "5, 3, 5, 1, 1",   // 1-D
      "4, 2, 3, 2, 3",   // 3-D, grouped
      "6, 4, 1, 1, 2"})  // pointwise
  void convolutionKernelsHoldWAtTheCentreTapOfEveryGroup(int cout, int cin, int k, int group, int rank)
      throws Exception {
    int spatial = 5;
    GraphBuilder g = graph();
    long[] inShape = shape(2, cin, spatial, rank);
    long[] wShape = kernelShape(cout, cin / group, k, rank);
    g.input("x", FLOAT, inShape);
    g.initializer("w", FLOAT, wShape, random((int) count(wShape)));
    g.initializer("b", FLOAT, new long[] {cout}, random(cout));
    g.node("Conv", new String[] {"x", "w", "b"}, new String[] {"y"}, Attr.i("group", group),
        Attr.ints("pads", pads(k, rank)));
    g.output("y", FLOAT, shape(2, cout, spatial, rank));
    Tensor x = Tensor.random(12, inShape);
    int p = cout / group;
    int q = cin / group;
    assertClose(channelMix(x, w(p, q), group, p, q), runRewritten(g, x));
  }

  @ParameterizedTest(name = "ConvTranspose cin={0} cout={1} k={2} group={3}")
  @CsvSource({"4, 3, 3, 1", "3, 6, 3, 1", "4, 6, 3, 2", "4, 4, 4, 1", "4, 4, 3, 4"})
  void convTransposeKernelsHoldWTransposedAtTheCentreTap(int cin, int cout, int k, int group)
      throws Exception {
    int spatial = 5;
    GraphBuilder g = graph();
    long[] inShape = shape(2, cin, spatial, 2);
    long[] wShape = kernelShape(cin, cout / group, k, 2);
    g.input("x", FLOAT, inShape);
    g.initializer("w", FLOAT, wShape, random((int) count(wShape)));
    g.node("ConvTranspose", new String[] {"x", "w"}, new String[] {"y"}, Attr.i("group", group),
        Attr.ints("pads", pads(k, 2)));
    g.output("y", FLOAT, shape(2, cout, spatial, 2));
    Tensor x = Tensor.random(13, inShape);
    int p = cout / group;
    int q = cin / group;
    assertClose(channelMix(x, w(p, q), group, p, q), runRewritten(g, x));
  }

  @Test
  void batchNormalizationIsResetToFreshValues() throws Exception {
    GraphBuilder g = graph();
    g.input("x", FLOAT, 1, 4, 3, 3);
    g.initializer("w", FLOAT, new long[] {4, 4, 1, 1}, random(16));
    g.node("Conv", new String[] {"x", "w"}, new String[] {"h"});
    for (String n : new String[] {"s", "bb", "m", "v"}) {
      float[] vals = random(4);
      for (int i = 0; i < 4; i++) {
        vals[i] = Math.abs(vals[i]) + 0.5f;
      }
      g.initializer(n, FLOAT, new long[] {4}, vals);
    }
    g.node("BatchNormalization", new String[] {"h", "s", "bb", "m", "v"}, new String[] {"y"},
        Attr.f("epsilon", 1e-5f));
    g.output("y", FLOAT, 1, 4, 3, 3);
    Tensor x = Tensor.random(14, 1, 4, 3, 3);
    double[] expected = new double[x.values().length];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = x.values()[i] / Math.sqrt(1 + 1e-5);
    }
    assertClose(expected, runRewritten(g, x));
  }

  // ------------------------------------------------------------------ subgraphs

  @Test
  void weightsReadInsideAnIfBranchAreFoundAndRewritten() throws Exception {
    GraphBuilder then = new GraphBuilder("then_branch");
    then.node("MatMul", new String[] {"x", "w"}, new String[] {"t_out"});
    then.output("t_out", FLOAT, 2, 6);
    GraphBuilder other = new GraphBuilder("else_branch");
    other.node("MatMul", new String[] {"x", "w"}, new String[] {"e_out"});
    other.output("e_out", FLOAT, 2, 6);
    GraphProto thenGraph = then.build();
    GraphProto elseGraph = other.build();
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, 4);
    g.initializer("w", FLOAT, new long[] {4, 6}, random(24));
    g.initializer(TensorProto.newBuilder().setName("cond").setDataType(TensorProto.DataType.BOOL_VALUE)
        .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[] {1})).build());
    g.node("If", new String[] {"cond"}, new String[] {"y"}, Attr.g("then_branch", thenGraph),
        Attr.g("else_branch", elseGraph));
    g.output("y", FLOAT, 2, 6);
    Plan plan = Planner.plan(model(g), PlanOptions.defaults());
    assertEquals(1, plan.rewritten().size());
    assertEquals(2, plan.rewritten().get(0).consumers().size());
    Tensor x = Tensor.random(15, 2, 4);
    assertClose(xWt(x, w(6, 4), 2, 4), runRewritten(g, x));
  }

  @Test
  void weightsInAModelLocalFunctionAreRewrittenForEveryCallSite() throws Exception {
    int p = 6;
    int q = 4;
    var wc = Tensors.of("w", FLOAT, new long[] {q, p}, random(p * q));
    var fn = dev.zeroinit.onnxio.proto.Onnx.FunctionProto.newBuilder()
        .setName("Dense").setDomain("local").addInput("fx").addOutput("fy")
        .addOpsetImport(dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto.newBuilder().setVersion(17))
        .addNode(dev.zeroinit.onnxio.proto.Onnx.NodeProto.newBuilder().setOpType("Constant")
            .addOutput("w").addAttribute(Attr.t("value", wc)))
        .addNode(dev.zeroinit.onnxio.proto.Onnx.NodeProto.newBuilder().setOpType("MatMul")
            .addInput("fx").addInput("w").addOutput("fy"))
        .build();
    GraphBuilder g = graph();
    g.input("x", FLOAT, 2, q);
    g.node("Dense", new String[] {"x"}, new String[] {"y"});
    g.output("y", FLOAT, 2, p);
    GraphProto graph = g.build();
    var calls = graph.toBuilder();
    calls.setNode(0, calls.getNode(0).toBuilder().setDomain("local"));
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto.newBuilder().setVersion(17))
        .addOpsetImport(dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
        .setGraph(calls).addFunctions(fn).build();
    Plan plan = Planner.plan(m, PlanOptions.defaults());
    assertEquals(1, plan.rewritten().size());
    assertEquals("function:local:Dense", plan.rewritten().get(0).site().graphId());
    Tensor x = Tensor.random(16, 2, q);
    assertClose(xWt(x, w(p, q), 2, q), OrtRunner.run(rewrite(m), "x", x));
  }

  // ------------------------------------------------------------------ helpers

  private static GraphBuilder graph() {
    return new GraphBuilder("orientation", 7);
  }

  private static ModelProto model(GraphBuilder g) {
    return ModelProto.newBuilder()
        .setIrVersion(ModelBuilder.IR_VERSION)
        .addOpsetImport(dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto.newBuilder().setVersion(17))
        .setGraph(g.build())
        .build();
  }

  private static ModelProto rewrite(ModelProto m) throws Exception {
    return Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of());
  }

  private static Tensor runRewritten(GraphBuilder g, Tensor x) throws Exception {
    return OrtRunner.run(rewrite(model(g)), "x", x);
  }

  private static double[][] w(int p, int q) {
    return new ZeroMatrix(p, q, SCALE).toArray();
  }

  private static float[] random(int n) {
    SplittableRandom r = new SplittableRandom(n * 31L + 5);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() - 0.5);
    }
    return v;
  }

  /** y[r] = W x[r] for every row r of x viewed as [rows, q]. */
  private static double[] xWt(Tensor x, double[][] w, int rows, int q) {
    int p = w.length;
    double[] y = new double[rows * p];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < p; i++) {
        double s = 0;
        for (int k = 0; k < q; k++) {
          s += w[i][k] * x.values()[r * q + k];
        }
        y[r * p + i] = s;
      }
    }
    return y;
  }

  private static double[] wX(double[][] w, Tensor x, int q, int n) {
    int p = w.length;
    double[] y = new double[p * n];
    for (int i = 0; i < p; i++) {
      for (int c = 0; c < n; c++) {
        double s = 0;
        for (int k = 0; k < q; k++) {
          s += w[i][k] * x.values()[k * n + c];
        }
        y[i * n + c] = s;
      }
    }
    return y;
  }

  /** Per spatial position: output channels of group g = W times input channels of group g. */
  private static double[] channelMix(Tensor x, double[][] w, int groups, int p, int q) {
    long[] s = x.shape();
    int batch = (int) s[0];
    int cin = (int) s[1];
    int positions = x.values().length / (batch * cin);
    int cout = groups * p;
    double[] y = new double[batch * cout * positions];
    for (int n = 0; n < batch; n++) {
      for (int grp = 0; grp < groups; grp++) {
        for (int i = 0; i < p; i++) {
          for (int pos = 0; pos < positions; pos++) {
            double sum = 0;
            for (int j = 0; j < q; j++) {
              sum += w[i][j] * x.values()[(n * cin + grp * q + j) * positions + pos];
            }
            y[(n * cout + grp * p + i) * positions + pos] = sum;
          }
        }
      }
    }
    return y;
  }

  private static long[] shape(int batch, int channels, int spatial, int rank) {
    long[] s = new long[2 + rank];
    s[0] = batch;
    s[1] = channels;
    for (int d = 0; d < rank; d++) {
      s[2 + d] = spatial;
    }
    return s;
  }

  private static long[] kernelShape(int a, int b, int k, int rank) {
    long[] s = new long[2 + rank];
    s[0] = a;
    s[1] = b;
    for (int d = 0; d < rank; d++) {
      s[2 + d] = k;
    }
    return s;
  }

  /** Pads that keep the size and align the tap at floor(k/2) with the output position. */
  private static long[] pads(int k, int rank) {
    long[] p = new long[2 * rank];
    for (int d = 0; d < rank; d++) {
      p[d] = k / 2;
      p[rank + d] = k - 1 - k / 2;
    }
    return p;
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private static void assertClose(double[] expected, Tensor actual) {
    assertEquals(expected.length, actual.values().length, "output size");
    for (int i = 0; i < expected.length; i++) {
      double tol = 1e-5 + 1e-5 * Math.abs(expected[i]);
      if (Math.abs(expected[i] - actual.values()[i]) > tol) {
        assertArrayEquals(expected, toDouble(actual.values()), tol, "first mismatch at " + i);
      }
    }
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
