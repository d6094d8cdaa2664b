package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One SGD step (momentum 0.9, weight decay 1e-4, lr 0.1: the paper's defaults) of a small CNN with
 * BatchNormalization (conv-BN-ReLU-MaxPool, strided conv with bias-BN-ReLU, GlobalAveragePool,
 * Gemm) against a reference computed in plain Java: a float64 forward pass of the same graph,
 * central finite differences for the gradient (h = 1e-6), and PyTorch's SGD formula. Parameters
 * after the step within 1e-5, running statistics (PyTorch's momentum and unbiased variance) within
 * 1e-6.
 */
class CnnStepTest {
  static final int BATCH = 4;
  static Onnx.ModelProto cnn;
  static double[] x;
  static long[] labels;

  @BeforeAll
  static void build() {
    ModelBuilder m = new ModelBuilder("cnn").seed(11);
    GraphBuilder g = m.graph();
    String in = g.input("input", DataType.FLOAT, -1, 2, 6, 6);
    g.scope("c1");
    String h = g.relu(g.convBn(in, 3, 3, 1, 1, 1, false));
    h = g.maxPool(h, 2, 2, 0);
    g.scope("c2");
    h = g.relu(g.batchNorm(g.conv(h, 4, 3, 2, 1, 1, true)));
    g.scope("head");
    h = g.flatten(g.globalAveragePool(h));
    g.output(g.rename(g.gemm(h, 3, true), "logits"));
    cnn = m.build();
    SplittableRandom r = new SplittableRandom(9);
    x = new double[BATCH * 2 * 36];
    for (int i = 0; i < x.length; i++) {
      x[i] = 2 * r.nextDouble() - 1;
    }
    labels = new long[] {0, 2, 1, 2};
  }

  @Test
  void sgdStepMatchesFiniteDifferencesAndPyTorchsFormula() throws Exception {
    double lr = 0.1;
    double momentum = 0.9;
    double wd = 1e-4;
    TrainStepGraph g = TrainingGraphBuilder.build(cnn, TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.sgd(momentum, false, wd)).withBatchSize(BATCH));
    Map<String, double[]> params = new LinkedHashMap<>();
    Map<String, double[]> all = new HashMap<>();
    for (Onnx.TensorProto t : cnn.getGraph().getInitializerList()) {
      all.put(t.getName(), StepRunner.decode(t));
    }
    for (String p : g.parameters()) {
      params.put(p, all.get(p));
    }
    assertEquals(List.of("c1.conv.weight", "c1.bn.weight", "c1.bn.bias", "c2.conv.weight",
        "c2.conv.bias", "c2.bn.weight", "c2.bn.bias", "head.gemm.weight", "head.gemm.bias"),
        g.parameters());
    JavaReference ref = new JavaReference(cnn.getGraph());
    Map<String, double[]> stats = new HashMap<>();
    double loss0 = ref.loss(all, x, new long[] {BATCH, 2, 6, 6}, labels, stats);

    try (StepRunner r = new StepRunner(g)) {
      Map<String, Ort.Value> batch = new HashMap<>();
      batch.put("input", Ort.Value.ofFloats(1, new long[] {BATCH, 2, 6, 6}, x));
      batch.put(g.targetsInput(), Ort.Value.ofInts(new long[] {BATCH}, labels));
      Map<String, double[]> out = r.step(batch, lr);
      assertEquals(loss0, out.get("loss")[0], 1e-5, "loss");
      for (Map.Entry<String, double[]> e : params.entrySet()) {
        String name = e.getKey();
        double[] p = e.getValue();
        double[] grad = new double[p.length];
        double h = 1e-6;
        for (int i = 0; i < p.length; i++) {
          double keep = p[i];
          p[i] = keep + h;
          double fp = ref.loss(all, x, new long[] {BATCH, 2, 6, 6}, labels, new HashMap<>());
          p[i] = keep - h;
          double fm = ref.loss(all, x, new long[] {BATCH, 2, 6, 6}, labels, new HashMap<>());
          p[i] = keep;
          grad[i] = (fp - fm) / (2 * h);
        }
        double[] expected = new double[p.length];
        double[] buf = new double[p.length];
        for (int i = 0; i < p.length; i++) {
          buf[i] = grad[i] + wd * p[i]; // first step: buf = d_p
          expected[i] = p[i] - lr * buf[i];
        }
        MlpStepTest.assertClose(expected, r.value(name), 1e-5, name);
        MlpStepTest.assertClose(buf, r.value(name + ".momentum"), 1e-5, name + ".momentum");
      }
      // running statistics, PyTorch's rule with ONNX momentum 0.9 (PyTorch 0.1)
      for (String bn : List.of("c1.bn", "c2.bn")) {
        double[] mean = stats.get(bn + ".mean");
        double[] var = stats.get(bn + ".var");
        double n = stats.get(bn + ".count")[0];
        double[] rm = all.get(bn + ".running_mean");
        double[] rv = all.get(bn + ".running_var");
        double[] em = new double[rm.length];
        double[] ev = new double[rv.length];
        for (int c = 0; c < rm.length; c++) {
          em[c] = 0.9 * rm[c] + 0.1 * mean[c];
          ev[c] = 0.9 * rv[c] + 0.1 * var[c] * n / (n - 1);
        }
        MlpStepTest.assertClose(em, r.value(bn + ".running_mean"), 1e-6, bn + " running mean");
        MlpStepTest.assertClose(ev, r.value(bn + ".running_var"), 1e-6, bn + " running var");
      }
    }
  }

  @Test
  void runningStatisticsSharedByTwoNodesAreNotState() {
    Onnx.GraphProto.Builder gb = cnn.getGraph().toBuilder();
    for (int i = 0; i < gb.getNodeCount(); i++) {
      if (gb.getNode(i).getName().equals("c2.bn")) {
        gb.setNode(i, gb.getNode(i).toBuilder().setInput(3, "c1.bn.running_mean"));
      }
    }
    TrainStepGraph g = TrainingGraphBuilder.build(cnn.toBuilder().setGraph(gb).build(),
        TrainOptions.defaults());
    assertTrue(g.carried().stream().noneMatch(c -> c.input().equals("c1.bn.running_mean")));
    assertTrue(g.carried().stream().anyMatch(c -> c.input().equals("c1.bn.running_var")));
    assertTrue(g.excluded().get("c1.bn.running_mean").contains("several"), g.excluded().toString());
  }

  @Test
  void frozenParametersStayConstantsOfTheStep() throws Exception {
    TrainStepGraph g = TrainingGraphBuilder.build(cnn, TrainOptions.defaults()
        .withFreeze(Pattern.compile("^c1\\.")));
    assertFalse(g.parameters().stream().anyMatch(p -> p.startsWith("c1.")), g.parameters().toString());
    assertTrue(g.excluded().get("c1.conv.weight").startsWith("frozen"), g.excluded().toString());
    assertTrue(g.model().getGraph().getInitializerList().stream()
        .anyMatch(t -> t.getName().equals("c1.conv.weight")), "the frozen weight is baked in");
    // running statistics of the frozen block are still updated (batch statistics in training)
    assertTrue(g.carried().stream().anyMatch(c -> c.input().equals("c1.bn.running_mean")));
    try (StepRunner r = new StepRunner(g)) {
      Map<String, Ort.Value> batch = new HashMap<>();
      batch.put("input", Ort.Value.ofFloats(1, new long[] {BATCH, 2, 6, 6}, x));
      batch.put(g.targetsInput(), Ort.Value.ofInts(new long[] {BATCH}, labels));
      double[] before = r.value("c2.conv.weight").clone();
      r.step(batch, 0.1);
      assertFalse(java.util.Arrays.equals(before, r.value("c2.conv.weight")));
    }
  }
}
