package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Step graphs of real PyTorch exports from the shared fixtures (skipped when absent, failed under
 * CI), with fresh seeded weights: the step graph's loss against the forward model's output (its
 * BatchNormalization in training mode) run through the same loss in plain Java, and its gradients against central finite differences of that loss on two elements of every
 * parameter (forward model on ONNX Runtime with the parameters fed as inputs; float32, h = 1e-3;
 * over the sampled elements |analytic - fd| <= 2e-3 * sqrt(n) + 5e-2 |fd| in the 2-norm, because
 * ReLU and MaxPool kinks can be crossed by a step).
 */
class RealExportsStepTest {

  /** A fixture, its loss, and the sizes of its symbolic dims in order of appearance. */
  private record Case(String file, LossKind loss, long... symbolic) {}

  private static final List<Case> CASES = List.of(
      new Case("transformer_lm_opset14.onnx", LossKind.LANGUAGE_MODEL, 2, 5),
      new Case("transformer_lm_nofold_opset14.onnx", LossKind.LANGUAGE_MODEL, 2, 5),
      new Case("conv1d_audio_opset13.onnx", LossKind.CROSS_ENTROPY, 2, 800),
      new Case("conv3d_tiny_opset13.onnx", LossKind.CROSS_ENTROPY, 2),
      new Case("dcgan_generator_opset13.onnx", LossKind.MSE, 2),
      new Case("linear_variants_opset13.onnx", LossKind.MSE, 2),
      new Case("mlp_784_256_256_10_opset11_init_as_inputs.onnx", LossKind.CROSS_ENTROPY, 2));

  @TestFactory
  Stream<DynamicTest> stepGraphsOfPyTorchExports() {
    Path dir = Fixtures.sharedModels();
    return CASES.stream().map(c -> DynamicTest.dynamicTest(c.file() + " (" + c.loss()
        .optionName() + ")", () -> check(dir.resolve(c.file()), c)));
  }

  @Test
  void anLstmIsNamedAsTheOpWithoutDerivative() throws Exception {
    Path file = Fixtures.sharedModels().resolve("lstm_classifier_opset13.onnx");
    try (OnnxModel m = OnnxModel.read(file)) {
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
          () -> TrainingGraphBuilder.build(m.materializedProto(), TrainOptions.defaults()));
      assertEquals("LSTM", e.opType());
    }
  }

  private static void check(Path file, Case c) throws Exception {
    Onnx.ModelProto model;
    try (OnnxModel m = OnnxModel.read(file)) {
      model = reinitialized(m.materializedProto());
    }
    TrainStepGraph g = TrainingGraphBuilder.build(model, TrainOptions.defaults().withLoss(c.loss())
        .withGradientOutputs(true));
    SplittableRandom r = new SplittableRandom(7);
    // the batch: symbolic dims get the case's sizes in order of appearance
    Map<String, Long> sizes = new HashMap<>();
    int next = 0;
    Map<String, Ort.Value> batch = new HashMap<>();
    Onnx.ValueInfoProto input = g.model().getGraph().getInput(0);
    long[] dims = new long[input.getType().getTensorType().getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      Onnx.TensorShapeProto.Dimension d = input.getType().getTensorType().getShape().getDim(i);
      if (d.hasDimValue()) {
        dims[i] = d.getDimValue();
      } else {
        String p = d.getDimParam().isEmpty() ? "#" + i : d.getDimParam();
        if (!sizes.containsKey(p)) {
          sizes.put(p, c.symbolic()[next++]);
        }
        dims[i] = sizes.get(p);
      }
    }
    int n = (int) dev.zeroinit.onnxio.build.Tensors.elementCount(dims);
    if (input.getType().getTensorType().getElemType() == DataType.INT64_VALUE) {
      long[] ids = new long[n];
      for (int i = 0; i < n; i++) {
        ids[i] = r.nextInt(1000);
      }
      batch.put(input.getName(), Ort.Value.ofInts(dims, ids));
    } else {
      double[] x = new double[n];
      for (int i = 0; i < n; i++) {
        x[i] = 2 * r.nextDouble() - 1;
      }
      batch.put(input.getName(), Ort.Value.ofFloats(DataType.FLOAT_VALUE, dims, x));
    }
    Map<String, Ort.Value> forwardFeed = new HashMap<>(batch);
    for (Onnx.TensorProto t : model.getGraph().getInitializerList()) {
      forwardFeed.put(t.getName(), Ort.Value.ofFloats(t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray(), StepRunner.decode(t)));
    }
    Onnx.ModelProto forwardModel = trainingModeBatchNorm(model,
        LanguageModelStepTest.parametersAsInputs(model));
    String output = model.getGraph().getOutput(0).getName();
    try (OrtSession forward = Ort.session(forwardModel); StepRunner run = new StepRunner(g)) {
      double[] y0 = Ort.run(forward, forwardFeed).get(output);
      Onnx.TensorShapeProto ts = g.model().getGraph().getInputList().stream()
          .filter(i -> i.getName().equals(g.targetsInput())).findFirst().orElseThrow()
          .getType().getTensorType().getShape();
      long[] targetDims = new long[ts.getDimCount()];
      for (int i = 0; i < targetDims.length; i++) {
        Onnx.TensorShapeProto.Dimension d = ts.getDim(i);
        targetDims[i] = d.hasDimValue() ? d.getDimValue() : sizes.getOrDefault(d.getDimParam(), -1L);
      }
      Ort.Value targets = targets(c.loss(), dims, targetDims, y0, r);
      batch.put(g.targetsInput(), targets);
      Loss loss = new Loss(c.loss(), targets);
      Map<String, double[]> out = run.evaluate(batch, 0.1, Map.of());
      assertEquals(loss.of(y0), out.get("loss")[0], 1e-4 * Math.max(1, Math.abs(loss.of(y0))),
          "loss");
      double err2 = 0;
      double fd2 = 0;
      int count = 0;
      StringBuilder worst = new StringBuilder();
      for (String p : g.parameters()) {
        double[] grad = out.get(g.gradientOutputs().get(p));
        Ort.Value v = forwardFeed.get(p);
        double[] values = v.floats();
        double h = 1e-3;
        for (int k = 0; k < 2; k++) {
          int i = r.nextInt(values.length);
          double[] plus = values.clone();
          double[] minus = values.clone();
          plus[i] += h;
          minus[i] -= h;
          Map<String, Ort.Value> feed = new HashMap<>(forwardFeed);
          feed.put(p, v.with(plus));
          double fp = loss.of(Ort.run(forward, feed).get(output));
          feed.put(p, v.with(minus));
          double fm = loss.of(Ort.run(forward, feed).get(output));
          double fd = (fp - fm) / (2 * h);
          err2 += (fd - grad[i]) * (fd - grad[i]);
          fd2 += fd * fd;
          count++;
          if (Math.abs(fd - grad[i]) > 1e-2 + 0.2 * Math.abs(fd)) {
            worst.append(String.format("%n  %s[%d]: analytic %.6g, finite difference %.6g", p, i,
                grad[i], fd));
          }
        }
      }
      double e = Math.sqrt(err2);
      double f = Math.sqrt(fd2);
      int cnt = count;
      assertTrue(e <= 2e-3 * Math.sqrt(count) + 5e-2 * f, () -> file.getFileName() + ": gradient "
          + "error " + e + " against finite differences of norm " + f + " over " + cnt
          + " elements" + worst);
      run.step(batch, 0.01);
    }
  }

  /**
   * The fixture with fresh seeded values in every float initializer (some fixtures hold
   * uninitialised memory: NaN and 1e34 values), uniform in [-0.3, 0.3), BatchNormalization
   * variances in [0.5, 1.5).
   */
  static Onnx.ModelProto reinitialized(Onnx.ModelProto m) {
    java.util.Set<String> variances = new java.util.HashSet<>();
    for (Onnx.NodeProto n : m.getGraph().getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        variances.add(n.getInput(4));
      }
    }
    Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < g.getInitializerCount(); i++) {
      Onnx.TensorProto t = g.getInitializer(i);
      if (t.getDataType() != DataType.FLOAT_VALUE) {
        continue;
      }
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      double[] v = new double[(int) dev.zeroinit.onnxio.build.Tensors.elementCount(dims)];
      for (int k = 0; k < v.length; k++) {
        v[k] = variances.contains(t.getName()) ? 0.5 + r.nextDouble() : 0.6 * r.nextDouble() - 0.3;
      }
      g.setInitializer(i, dev.zeroinit.onnxio.build.Tensors.of(t.getName(), t.getDataType(), dims,
          v));
    }
    return m.toBuilder().setGraph(g).build();
  }

  /**
   * BatchNormalization nodes in training mode, as the step graph runs them (batch statistics). Their
   * running statistics become fresh constants: in training mode the output does not depend on them,
   * and ONNX Runtime's training-mode kernel, which updates them in place, corrupts the scale or bias
   * when the exporter made the statistics Identity copies of those (DCGAN: running_var =
   * Identity(weight)).
   */
  static Onnx.ModelProto trainingModeBatchNorm(Onnx.ModelProto original, Onnx.ModelProto m) {
    Onnx.GraphProto.Builder g = m.getGraph().toBuilder();
    java.util.Map<String, Onnx.TensorProto> inits = new HashMap<>();
    original.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
    for (int i = 0; i < g.getNodeCount(); i++) {
      Onnx.NodeProto n = g.getNode(i);
      if (n.getOpType().equals("BatchNormalization")) {
        Onnx.TensorProto scale = inits.get(n.getInput(1));
        long[] cd = scale.getDimsList().stream().mapToLong(Long::longValue).toArray();
        double[] zeros = new double[(int) cd[0]];
        double[] ones = new double[(int) cd[0]];
        java.util.Arrays.fill(ones, 1);
        String rm = n.getName() + "/fresh_mean";
        String rv = n.getName() + "/fresh_var";
        g.addInitializer(dev.zeroinit.onnxio.build.Tensors.of(rm, scale.getDataType(), cd, zeros));
        g.addInitializer(dev.zeroinit.onnxio.build.Tensors.of(rv, scale.getDataType(), cd, ones));
        Onnx.NodeProto.Builder b = n.toBuilder().setInput(3, rm).setInput(4, rv)
            .addAttribute(dev.zeroinit.onnxio.build.Attr.i("training_mode", 1));
        while (b.getOutputCount() < 3) {
          b.addOutput(n.getOutput(0) + "/stat" + b.getOutputCount());
        }
        g.setNode(i, b);
      }
    }
    Onnx.ModelProto.Builder mb = m.toBuilder().setGraph(g).clearOpsetImport();
    for (Onnx.OperatorSetIdProto o : m.getOpsetImportList()) {
      // training_mode exists from opset 14
      mb.addOpsetImport(o.getDomain().isEmpty() && o.getVersion() < 15
          && g.getNodeList().stream().anyMatch(n -> n.getOpType().equals("BatchNormalization"))
          ? o.toBuilder().setVersion(15).build() : o);
    }
    return mb.build();
  }

  private static Ort.Value targets(LossKind kind, long[] inDims, long[] targetDims, double[] y,
      SplittableRandom r) {
    switch (kind) {
      case CROSS_ENTROPY -> {
        int classes = y.length / (int) inDims[0];
        long[] t = new long[(int) inDims[0]];
        for (int i = 0; i < t.length; i++) {
          t[i] = r.nextInt(classes);
        }
        return Ort.Value.ofInts(new long[] {t.length}, t);
      }
      case LANGUAGE_MODEL -> {
        long[] t = new long[(int) (inDims[0] * inDims[1])];
        for (int i = 0; i < t.length; i++) {
          t[i] = r.nextInt(1000);
        }
        return Ort.Value.ofInts(new long[] {inDims[0], inDims[1]}, t);
      }
      default -> {
        double[] t = new double[y.length];
        for (int i = 0; i < t.length; i++) {
          t[i] = y[i] + (2 * r.nextDouble() - 1);
        }
        return Ort.Value.ofFloats(DataType.FLOAT_VALUE, targetDims, t);
      }
    }
  }

  /** The loss in plain Java from the forward model's output. */
  private record Loss(LossKind kind, Ort.Value targets) {
    double of(double[] y) {
      if (kind == LossKind.MSE) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
          double d = y[i] - targets.floats()[i];
          s += d * d;
        }
        return s / y.length;
      }
      long[] t = targets.ints();
      int classes = y.length / t.length;
      double s = 0;
      for (int b = 0; b < t.length; b++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
          max = Math.max(max, y[b * classes + k]);
        }
        double sum = 0;
        for (int k = 0; k < classes; k++) {
          sum += Math.exp(y[b * classes + k] - max);
        }
        s -= y[b * classes + (int) t[b]] - max - Math.log(sum);
      }
      return s / t.length;
    }
  }
}
