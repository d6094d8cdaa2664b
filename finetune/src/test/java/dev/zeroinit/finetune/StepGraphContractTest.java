package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The step graph's input/output contract, its shape discipline (static shapes when the batch is
 * fixed, Shape-based computations when not), the clear errors, and a short run of a ZerO-initialized
 * MLP and of the sample ResNet.
 */
class StepGraphContractTest {
  static Onnx.ModelProto mlp(int hidden) {
    return ModelCatalog.standard().build("mlp", ModelOptions.DEFAULTS.withHidden(hidden));
  }

  static List<String> names(List<Onnx.ValueInfoProto> infos) {
    return infos.stream().map(Onnx.ValueInfoProto::getName).toList();
  }

  static long count(Onnx.ModelProto m, String op) {
    return m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
  }

  static Map<String, Ort.Value> randomBatch(int n, int features, int classes, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble();
    }
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(classes);
    }
    Map<String, Ort.Value> b = new HashMap<>();
    b.put("input", Ort.Value.ofFloats(1, new long[] {n, features}, x));
    b.put("targets", Ort.Value.ofInts(new long[] {n}, y));
    return b;
  }

  @Test
  void contractNamesInputsAndOutputsPredictably() {
    TrainStepGraph g = TrainingGraphBuilder.build(mlp(32), TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.sgd(0.9, false, 1e-4)).withBatchSize(64));
    Onnx.GraphProto graph = g.model().getGraph();
    assertEquals(List.of("input", "targets", "lr", "fc1.gemm.weight", "fc2.gemm.weight",
        "fc3.gemm.weight", "fc4.gemm.weight", "step", "fc1.gemm.weight.momentum",
        "fc2.gemm.weight.momentum", "fc3.gemm.weight.momentum", "fc4.gemm.weight.momentum"),
        names(graph.getInputList()));
    assertEquals(List.of("loss", "correct", "fc1.gemm.weight.new", "fc2.gemm.weight.new",
        "fc3.gemm.weight.new", "fc4.gemm.weight.new", "step.new",
        "fc1.gemm.weight.momentum.new", "fc2.gemm.weight.momentum.new",
        "fc3.gemm.weight.momentum.new", "fc4.gemm.weight.momentum.new"),
        names(graph.getOutputList()));
    for (TrainStepGraph.Carried c : g.carried()) {
      assertEquals(c.input() + ".new", c.output());
    }
    Onnx.TensorShapeProto s = graph.getInput(0).getType().getTensorType().getShape();
    assertEquals(64, s.getDim(0).getDimValue(), "--batch fixes the batch dim");
    assertEquals(64, graph.getInput(1).getType().getTensorType().getShape().getDim(0)
        .getDimValue());
    assertEquals(0, graph.getInput(2).getType().getTensorType().getShape().getDimCount(),
        "lr is a scalar");
    // static shapes: no Shape ops; backward products are MatMul, the only Gemms are the forward's
    assertEquals(0, count(g.model(), "Shape"));
    assertEquals(4, count(g.model(), "Gemm"));
    assertTrue(count(g.model(), "MatMul") >= 7);
    // parameters are plain inputs (ONNX Runtime's Java API cannot feed initializer defaults)
    assertTrue(graph.getInitializerList().stream().noneMatch(t -> t.getName().startsWith("fc")));
    TrainStepGraph embedded = TrainingGraphBuilder.build(mlp(32), TrainOptions.defaults()
        .withEmbedInitialValues(true));
    assertEquals(4, embedded.model().getGraph().getInitializerList().stream()
        .filter(t -> t.getName().startsWith("fc")).count());
    assertEquals(DataType.INT64_VALUE, g.carried().stream()
        .filter(c -> c.role() == TrainStepGraph.Role.STEP).findFirst().orElseThrow().elemType());
  }

  @Test
  void symbolicBatchRunsAnyBatchSizeAndMatchesTheStaticGraph() throws Exception {
    Onnx.ModelProto m = mlp(16);
    TrainStepGraph dynamic = TrainingGraphBuilder.build(m, TrainOptions.defaults());
    TrainStepGraph fixed = TrainingGraphBuilder.build(m, TrainOptions.defaults().withBatchSize(5));
    assertEquals("batch", dynamic.model().getGraph().getInput(0).getType().getTensorType()
        .getShape().getDim(0).getDimParam());
    try (StepRunner d = new StepRunner(dynamic); StepRunner f = new StepRunner(fixed)) {
      d.step(randomBatch(3, 784, 10, 1), 0.1); // another batch size first
      Map<String, Ort.Value> b = randomBatch(5, 784, 10, 2);
      d.carried.putAll(f.carried);
      Map<String, double[]> od = d.step(b, 0.1);
      Map<String, double[]> of = f.step(b, 0.1);
      assertEquals(of.get("loss")[0], od.get("loss")[0], 1e-6);
      MlpStepTest.assertClose(of.get("fc1.gemm.weight.new"), od.get("fc1.gemm.weight.new"), 1e-7,
          "fc1");
    }
  }

  @Test
  void zeroInitializedMlpLearnsAFixedBatch() throws Exception {
    Onnx.ModelProto m = mlp(32);
    Onnx.ModelProto zero = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of());
    TrainStepGraph g = TrainingGraphBuilder.build(zero, TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.sgd(0.9, false, 1e-4)).withBatchSize(16));
    Map<String, Ort.Value> b = randomBatch(16, 784, 10, 3);
    try (StepRunner r = new StepRunner(g)) {
      double first = r.step(b, 0.05).get("loss")[0];
      double last = first;
      for (int i = 0; i < 30; i++) {
        last = r.step(b, 0.05).get("loss")[0];
      }
      assertTrue(last < 0.5 * first, "loss " + first + " -> " + last);
      assertEquals(16, (long) r.last.get("correct")[0], "a fixed batch is memorised");
    }
  }

  @Test
  void sampleResNetStepRunsWithBatchNormStatistics() throws Exception {
    Onnx.ModelProto m = ModelCatalog.standard().build("sample-resnet",
        ModelOptions.DEFAULTS.withWidthMultiplier(0.25).withImageSize(8));
    TrainStepGraph g = TrainingGraphBuilder.build(m, TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.sgd(0.9, true, 1e-4)));
    long running = g.carried().stream().filter(c -> c.role() == TrainStepGraph.Role.RUNNING_MEAN
        || c.role() == TrainStepGraph.Role.RUNNING_VAR).count();
    assertEquals(2 * count(m, "BatchNormalization"), running);
    SplittableRandom r = new SplittableRandom(1);
    double[] x = new double[2 * 3 * 8 * 8];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble();
    }
    Map<String, Ort.Value> b = new HashMap<>();
    b.put("input", Ort.Value.ofFloats(1, new long[] {2, 3, 8, 8}, x));
    b.put("targets", Ort.Value.ofInts(new long[] {2}, new long[] {3, 7}));
    try (StepRunner run = new StepRunner(g)) {
      Map<String, double[]> before = new HashMap<>();
      for (TrainStepGraph.Carried c : g.carried()) {
        if (c.role() != TrainStepGraph.Role.STEP) {
          before.put(c.input(), run.value(c.input()).clone());
        }
      }
      Map<String, double[]> out = run.step(b, 0.1);
      assertTrue(Double.isFinite(out.get("loss")[0]));
      for (TrainStepGraph.Carried c : g.carried()) {
        if (c.role() == TrainStepGraph.Role.PARAMETER || c.role() == TrainStepGraph.Role.RUNNING_MEAN) {
          assertFalse(java.util.Arrays.equals(before.get(c.input()), run.value(c.input())),
              c.input() + " did not change");
        }
      }
    }
  }

  @Test
  void newerOpsetsKeepTheirOwnVersion() throws Exception {
    Onnx.ModelProto lm = ModelCatalog.standard().build("transformer-lm", ModelOptions.DEFAULTS
        .withLayers(1).withDModel(8).withHeads(2).withVocab(11).withSeq(4).withOpset(20));
    assertTrue(count(lm, "Gelu") > 0);
    TrainStepGraph g = TrainingGraphBuilder.build(lm, TrainOptions.defaults()
        .withLoss(LossKind.LANGUAGE_MODEL).withOptimizer(OptimizerConfig.adamw()));
    assertEquals(20, g.model().getOpsetImport(0).getVersion());
    assertTrue(count(g.model(), "ReduceMean") == 0
        || g.model().getGraph().getNodeList().stream().filter(n -> n.getOpType()
        .equals("ReduceMean")).allMatch(n -> n.getAttributeList().stream()
        .noneMatch(a -> a.getName().equals("axes"))), "opset 18+: ReduceMean axes as input");
    Map<String, Ort.Value> b = new HashMap<>();
    b.put("input_ids", Ort.Value.ofInts(new long[] {1, 4}, new long[] {1, 2, 3, 4}));
    b.put("targets", Ort.Value.ofInts(new long[] {1, 4}, new long[] {2, 3, 4, 5}));
    try (StepRunner r = new StepRunner(g)) {
      double first = r.step(b, 0.01).get("loss")[0];
      double later = first;
      for (int i = 0; i < 5; i++) {
        later = r.step(b, 0.01).get("loss")[0];
      }
      assertTrue(later < first, first + " -> " + later);
    }
  }

  @Test
  void mseLossStepMatchesItsClosedForm() throws Exception {
    ModelBuilder mb = new ModelBuilder("lin").seed(4);
    GraphBuilder gb = mb.graph();
    String x = gb.input("input", DataType.FLOAT, -1, 3);
    gb.output(gb.rename(gb.gemm(x, 2, true), "y"));
    Onnx.ModelProto m = mb.build();
    TrainStepGraph g = TrainingGraphBuilder.build(m, TrainOptions.defaults().withLoss(LossKind.MSE));
    assertTrue(g.correctOutput().isEmpty());
    double[] xs = {0.5, -1, 2, 1, 0.25, -0.5};
    double[] ts = {1, 0, -1, 0.5};
    Map<String, Ort.Value> b = new HashMap<>();
    b.put("input", Ort.Value.ofFloats(1, new long[] {2, 3}, xs));
    b.put("targets", Ort.Value.ofFloats(1, new long[] {2, 2}, ts));
    try (StepRunner r = new StepRunner(g)) {
      double[] w = r.value("gemm.weight").clone();
      double[] bias = r.value("gemm.bias").clone();
      double loss = 0;
      double[] gw = new double[6];
      double[] gbias = new double[2];
      for (int n = 0; n < 2; n++) {
        for (int o = 0; o < 2; o++) {
          double y = bias[o];
          for (int k = 0; k < 3; k++) {
            y += xs[n * 3 + k] * w[o * 3 + k];
          }
          double d = y - ts[n * 2 + o];
          loss += d * d / 4;
          gbias[o] += 2 * d / 4;
          for (int k = 0; k < 3; k++) {
            gw[o * 3 + k] += 2 * d / 4 * xs[n * 3 + k];
          }
        }
      }
      Map<String, double[]> out = r.step(b, 0.1);
      assertEquals(loss, out.get("loss")[0], 1e-6);
      for (int i = 0; i < 6; i++) {
        w[i] -= 0.1 * gw[i];
      }
      for (int i = 0; i < 2; i++) {
        bias[i] -= 0.1 * gbias[i];
      }
      MlpStepTest.assertClose(w, r.value("gemm.weight"), 1e-6, "weight");
      MlpStepTest.assertClose(bias, r.value("gemm.bias"), 1e-6, "bias");
    }
  }

  private static Onnx.ModelProto withOp(String op, boolean onGradientPath) {
    ModelBuilder mb = new ModelBuilder("m");
    GraphBuilder gb = mb.graph();
    String x = gb.input("input", DataType.FLOAT, -1, 4);
    if (!onGradientPath) {
      x = gb.op(op, new String[] {x});
      gb.declare(x, DataType.FLOAT_VALUE, -1, 4);
    }
    String h = gb.gemm(x, 4, true);
    if (onGradientPath) {
      h = gb.op(op, new String[] {h});
      gb.declare(h, DataType.FLOAT_VALUE, -1, 4);
    }
    gb.output(gb.rename(h, "logits"));
    return mb.build();
  }

  @Test
  void anUnsupportedOpOnTheGradientPathIsAClearError() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
        () -> TrainingGraphBuilder.build(withOp("Sin", true), TrainOptions.defaults()));
    assertEquals("Sin", e.opType());
    assertEquals("sin", e.nodeName());
    assertTrue(e.getMessage().startsWith("no derivative for Sin node 'sin'"), e.getMessage());
    assertTrue(e.getMessage().contains("supported ops: ") && e.getMessage().contains("Conv")
        && e.getMessage().contains("Gemm"), e.getMessage());
    assertTrue(e.supported().containsAll(List.of("Add", "AveragePool", "BatchNormalization",
        "Concat", "Conv", "Div", "Dropout", "Flatten", "Gather", "Gelu", "Gemm",
        "GlobalAveragePool", "HardSigmoid", "HardSwish", "Identity", "LayerNormalization",
        "LeakyRelu", "LogSoftmax", "MatMul", "MaxPool", "Mul", "Relu", "Reshape", "Sigmoid",
        "Slice", "Softmax", "Split", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze", "Erf",
        "ReduceMean", "Pow", "Sqrt")), e.supported().toString());
    // the same op where no gradient reaches it (before the first parameter) is fine
    TrainingGraphBuilder.build(withOp("Sin", false), TrainOptions.defaults());
    // an op of another domain is named with its domain
    Onnx.ModelProto custom = withOp("Sin", true);
    Onnx.GraphProto.Builder gb = custom.getGraph().toBuilder();
    gb.getNodeBuilderList().stream().filter(n -> n.getOpType().equals("Sin"))
        .forEach(n -> n.setDomain("com.example").setOpType("Fancy"));
    Onnx.ModelProto customModel = custom.toBuilder().setGraph(gb).addOpsetImport(
        Onnx.OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1)).build();
    UnsupportedOpException c = assertThrows(UnsupportedOpException.class,
        () -> TrainingGraphBuilder.build(customModel, TrainOptions.defaults()));
    assertEquals("com.example.Fancy", c.opType());
  }

  @Test
  void refusalsAreOneClearLine() {
    Onnx.ModelProto m = mlp(16);
    Onnx.ModelProto old = m.toBuilder().clearOpsetImport().addOpsetImport(
        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(10)).build();
    assertTrue(assertThrows(TrainGraphException.class, () -> TrainingGraphBuilder.build(old,
        TrainOptions.defaults())).getMessage().contains("opset 10"));
    assertTrue(assertThrows(TrainGraphException.class, () -> TrainingGraphBuilder.build(m,
        TrainOptions.defaults().withFreeze(java.util.regex.Pattern.compile("weight"))))
        .getMessage().contains("no trainable parameter"));
    assertTrue(assertThrows(TrainGraphException.class, () -> TrainingGraphBuilder.build(m,
        TrainOptions.defaults().withLoss(LossKind.LANGUAGE_MODEL))).getMessage()
        .contains("[batch, seq, vocab]"));
    Onnx.ModelProto clash = m.toBuilder().setGraph(m.getGraph().toBuilder()
        .setInput(0, m.getGraph().getInput(0).toBuilder().setName("lr"))
        .setNode(0, m.getGraph().getNode(0).toBuilder().setInput(0, "lr"))).build();
    assertTrue(assertThrows(TrainGraphException.class, () -> TrainingGraphBuilder.build(clash,
        TrainOptions.defaults())).getMessage().contains("'lr'"));
    assertThrows(IllegalArgumentException.class, () -> OptimizerConfig.sgd(0, true, 0));
  }

  @Test
  void dynamicShapesUseShapeOps() {
    // symbolic batch with a broadcasting bias Add: the reduction is decided statically
    ModelBuilder mb = new ModelBuilder("m");
    GraphBuilder gb = mb.graph();
    String x = gb.input("input", DataType.FLOAT, -1, 4);
    String h = gb.matMul(x, 3);
    String b = gb.randomInitializer("bias", DataType.FLOAT_VALUE, new long[] {3}, 0.1);
    gb.output(gb.rename(gb.add(h, b), "logits"));
    TrainStepGraph g = TrainingGraphBuilder.build(mb.build(), TrainOptions.defaults());
    assertTrue(count(g.model(), "NonZero") == 0, "static decision for [batch, 3] vs [3]");
    assertTrue(count(g.model(), "Shape") >= 1, "the batch size comes from a Shape op");
    assertArrayEquals(new long[] {3}, g.carried().stream().filter(c -> c.input().equals("bias"))
        .findFirst().orElseThrow().dims());
    Attr.i("unused", 0);
  }
}
