package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The random baselines follow torch.nn.init's formulas, with fans from the oriented P x Q analysis. */
class BaselinesTest {

  /** Gemm with a [p, q] weight (transB=1) or [q, p] (transB=0); both mean P = p outputs, Q = q inputs. */
  private static ModelProto gemm(int p, int q, boolean transB) {
    GraphBuilder g = new GraphBuilder("g", 1);
    g.input("x", 1, 2, q);
    g.initializer("w", 1, transB ? new long[] {p, q} : new long[] {q, p}, new float[p * q]);
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, Attr.i("transB", transB ? 1 : 0));
    g.output("y", 1, 2, p);
    return wrap(g);
  }

  private static ModelProto conv(int cout, int cin, int k, int group) {
    GraphBuilder g = new GraphBuilder("c", 1);
    g.input("x", 1, 1, cin, 8, 8);
    g.initializer("w", 1, new long[] {cout, cin / group, k, k}, new float[cout * (cin / group) * k * k]);
    g.node("Conv", new String[] {"x", "w"}, new String[] {"y"}, Attr.i("group", group));
    g.output("y", 1, 1, cout, 8 - k + 1, 8 - k + 1);
    return wrap(g);
  }

  private static ModelProto wrap(GraphBuilder g) {
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
  }

  private static double[] values(ModelProto m, InitMethod method, long seed) throws Exception {
    PlanOptions o = PlanOptions.defaults().withMethod(method, seed);
    TensorProto w = Rewriter.apply(m, Planner.plan(m, o), Map.of()).getGraph().getInitializer(0);
    return TensorCodec.decode(w);
  }

  /** 512 x 1024 weights: half a million draws, so the sample moments are tight. */
  @ParameterizedTest(name = "{0}, transB={1}")
  @CsvSource({
      "KAIMING_NORMAL, true", "KAIMING_NORMAL, false", "KAIMING_UNIFORM, true", "KAIMING_UNIFORM, false",
      "XAVIER_NORMAL, true", "XAVIER_NORMAL, false", "XAVIER_UNIFORM, true", "XAVIER_UNIFORM, false"})
  void sampleMomentsMatchTheFormulaWhicheverWayTheWeightIsStored(InitMethod method, boolean transB)
      throws Exception {
    int p = 512;
    int q = 1024;
    double[] v = values(gemm(p, q, transB), method, 7);
    double expectedStd = switch (method) {
      case KAIMING_NORMAL -> Math.sqrt(2.0 / q);
      case KAIMING_UNIFORM -> Math.sqrt(6.0 / q) / Math.sqrt(3);
      case XAVIER_NORMAL -> Math.sqrt(2.0 / (p + q));
      case XAVIER_UNIFORM -> Math.sqrt(6.0 / (p + q)) / Math.sqrt(3);
      default -> throw new IllegalStateException();
    };
    double mean = 0;
    for (double x : v) {
      mean += x;
    }
    mean /= v.length;
    double var = 0;
    double max = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
      max = Math.max(max, Math.abs(x));
    }
    double std = Math.sqrt(var / v.length);
    assertEquals(0, mean, 5 * expectedStd / Math.sqrt(v.length), "mean");
    assertEquals(expectedStd, std, 0.01 * expectedStd, "std");
    if (method.name().endsWith("UNIFORM")) {
      assertTrue(max <= expectedStd * Math.sqrt(3) * (1 + 1e-6), "inside the bound");
      assertTrue(max > expectedStd * Math.sqrt(3) * 0.999, "reaches near the bound");
    }
  }

  @Test
  void convolutionFansCountTheReceptiveField() throws Exception {
    Plan plan = Planner.plan(conv(64, 32, 3, 1), PlanOptions.defaults().withMethod(InitMethod.KAIMING_NORMAL, 0));
    PlanEntry e = plan.entries().get(0);
    assertEquals(Math.sqrt(2.0 / (32 * 9)), e.factor(), 1e-15);
    assertTrue(e.notes().get(0).startsWith("fan_in 288, fan_out 576"), e.notes().toString());
    Plan grouped = Planner.plan(conv(64, 32, 3, 4), PlanOptions.defaults().withMethod(InitMethod.XAVIER_UNIFORM, 0));
    assertTrue(grouped.entries().get(0).notes().get(0).startsWith("fan_in 72, fan_out 576"),
        grouped.entries().get(0).notes().toString());
  }

  @Test
  void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() throws Exception {
    ModelProto m = conv(16, 8, 3, 1);
    for (InitMethod method : InitMethod.values()) {
      if (!method.isRandom()) {
        continue;
      }
      assertArrayEquals(values(m, method, 3), values(m, method, 3), method.name());
      assertFalse(java.util.Arrays.equals(values(m, method, 3), values(m, method, 4)), method.name());
    }
  }

  @ParameterizedTest(name = "P={0} Q={1}")
  @CsvSource({"8, 32", "32, 8", "16, 16"})
  void orthogonalWeightsHaveOrthonormalRowsOrColumns(int p, int q) throws Exception {
    double[] v = values(gemm(p, q, true), InitMethod.ORTHOGONAL, 1);
    int n = Math.min(p, q);
    boolean rows = p <= q;
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        double dot = 0;
        for (int k = 0; k < (rows ? q : p); k++) {
          dot += rows ? v[a * q + k] * v[b * q + k] : v[k * q + a] * v[k * q + b];
        }
        assertEquals(a == b ? 1.0 : 0.0, dot, 1e-5, "(" + a + ", " + b + ")");
      }
    }
  }

  @Test
  void partialIdentityAblationPadsDimensionIncreasingLayersWithZeros() throws Exception {
    double[] v = values(gemm(6, 4, true), InitMethod.PARTIAL_IDENTITY, 0);
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 4; j++) {
        assertEquals(i == j ? 1.0 : 0.0, v[i * 4 + j], "W[" + i + "][" + j + "]");
      }
    }
  }
}
