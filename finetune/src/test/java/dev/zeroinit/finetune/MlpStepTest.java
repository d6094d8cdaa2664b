package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Steps of the paper's MLP (784-784-16-16-10, hidden width 16 to stay small) on ONNX Runtime against
 * a plain-Java float64 forward/backward and PyTorch's optimizer formulas: parameters after each step
 * within 1e-5, the loss and the correct count equal.
 */
class MlpStepTest {
  static final int BATCH = 8;
  static final String[] WEIGHTS = {"fc1.gemm.weight", "fc2.gemm.weight", "fc3.gemm.weight",
      "fc4.gemm.weight"};
  static Onnx.ModelProto mlp;
  static double[] x;
  static long[] labels;

  @BeforeAll
  static void build() {
    mlp = ModelCatalog.standard().build("mlp", ModelOptions.DEFAULTS.withHidden(16).withSeed(3));
    SplittableRandom r = new SplittableRandom(5);
    x = new double[BATCH * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble();
    }
    labels = new long[BATCH];
    for (int i = 0; i < BATCH; i++) {
      labels[i] = r.nextInt(10);
    }
  }

  static Map<String, Ort.Value> batch(TrainStepGraph g) {
    Map<String, Ort.Value> b = new HashMap<>();
    b.put("input", Ort.Value.ofFloats(1, new long[] {BATCH, 784}, (double[]) x));
    b.put(g.targetsInput(), Ort.Value.ofInts(new long[] {BATCH}, labels));
    return b;
  }

  /** Plain-Java reference: the MLP's forward, loss and weight gradients in float64. */
  record Reference(double loss, long correct, Map<String, double[]> grads) {}

  static Reference reference(Map<String, double[]> w) {
    int[] widths = {784, 784, 16, 16, 10};
    double[][] acts = new double[5][];
    double[][] pre = new double[5][];
    acts[0] = x;
    for (int l = 0; l < 4; l++) {
      int in = widths[l];
      int out = widths[l + 1];
      double[] wl = w.get(WEIGHTS[l]);
      double[] z = new double[BATCH * out];
      for (int n = 0; n < BATCH; n++) {
        for (int o = 0; o < out; o++) {
          double s = 0;
          for (int i = 0; i < in; i++) {
            s += acts[l][n * in + i] * wl[o * in + i];
          }
          z[n * out + o] = s;
        }
      }
      pre[l + 1] = z;
      double[] a = z.clone();
      if (l < 3) {
        for (int i = 0; i < a.length; i++) {
          a[i] = Math.max(0, a[i]);
        }
      }
      acts[l + 1] = a;
    }
    double[] logits = acts[4];
    double loss = 0;
    long correct = 0;
    double[] dz = new double[BATCH * 10];
    for (int n = 0; n < BATCH; n++) {
      double max = Double.NEGATIVE_INFINITY;
      int arg = 0;
      for (int k = 0; k < 10; k++) {
        if (logits[n * 10 + k] > max) {
          max = logits[n * 10 + k];
          arg = k;
        }
      }
      correct += arg == labels[n] ? 1 : 0;
      double sum = 0;
      for (int k = 0; k < 10; k++) {
        sum += Math.exp(logits[n * 10 + k] - max);
      }
      loss -= logits[n * 10 + (int) labels[n]] - max - Math.log(sum);
      for (int k = 0; k < 10; k++) {
        double p = Math.exp(logits[n * 10 + k] - max) / sum;
        dz[n * 10 + k] = (p - (k == labels[n] ? 1 : 0)) / BATCH;
      }
    }
    loss /= BATCH;
    Map<String, double[]> grads = new HashMap<>();
    for (int l = 3; l >= 0; l--) {
      int in = widths[l];
      int out = widths[l + 1];
      double[] wl = w.get(WEIGHTS[l]);
      double[] gw = new double[out * in];
      double[] da = new double[BATCH * in];
      for (int n = 0; n < BATCH; n++) {
        for (int o = 0; o < out; o++) {
          double g = dz[n * out + o];
          if (g == 0) {
            continue;
          }
          for (int i = 0; i < in; i++) {
            gw[o * in + i] += g * acts[l][n * in + i];
            da[n * in + i] += g * wl[o * in + i];
          }
        }
      }
      grads.put(WEIGHTS[l], gw);
      if (l > 0) {
        for (int i = 0; i < da.length; i++) {
          da[i] = pre[l][i] > 0 ? da[i] : 0;
        }
        dz = da;
      }
    }
    return new Reference(loss, correct, grads);
  }

  static Map<String, double[]> weights(StepRunner r) {
    Map<String, double[]> w = new HashMap<>();
    for (String n : WEIGHTS) {
      w.put(n, r.value(n).clone());
    }
    return w;
  }

  static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double e = Math.abs(expected[i] - actual[i]);
      if (e > worst) {
        worst = e;
        at = i;
      }
    }
    double w = worst;
    int a = at;
    assertTrue(worst <= tol, () -> what + ": max error " + w + " at " + a + " (expected "
        + expected[a] + ", got " + actual[a] + ")");
  }

  @Test
  void plainSgdStepMatchesTheJavaReference() throws Exception {
    TrainStepGraph g = TrainingGraphBuilder.build(mlp, TrainOptions.defaults());
    assertEquals(List.of(WEIGHTS), g.parameters());
    try (StepRunner r = new StepRunner(g)) {
      for (int step = 0; step < 2; step++) {
        Map<String, double[]> w = weights(r);
        Reference ref = reference(w);
        Map<String, double[]> out = r.step(batch(g), 0.1);
        assertEquals(ref.loss(), out.get("loss")[0], 1e-5, "loss");
        assertEquals(ref.correct(), (long) out.get("correct")[0], "correct");
        for (String n : WEIGHTS) {
          double[] expected = w.get(n).clone();
          double[] gr = ref.grads().get(n);
          for (int i = 0; i < expected.length; i++) {
            expected[i] -= 0.1 * gr[i];
          }
          assertClose(expected, r.value(n), 1e-5, "step " + step + " " + n);
        }
      }
    }
  }

  @Test
  void sgdWithNesterovMomentumAndWeightDecayMatchesPyTorchsFormulas() throws Exception {
    double momentum = 0.9;
    double wd = 1e-2;
    double lr = 0.05;
    TrainStepGraph g = TrainingGraphBuilder.build(mlp, TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.sgd(momentum, true, wd)).withBatchSize(BATCH));
    Map<String, double[]> buf = new HashMap<>();
    try (StepRunner r = new StepRunner(g)) {
      for (int step = 0; step < 3; step++) {
        Map<String, double[]> w = weights(r);
        Reference ref = reference(w);
        r.step(batch(g), lr);
        for (String n : WEIGHTS) {
          double[] p = w.get(n);
          double[] gr = ref.grads().get(n);
          double[] b = buf.get(n);
          double[] expected = new double[p.length];
          double[] nb = new double[p.length];
          for (int i = 0; i < p.length; i++) {
            double d = gr[i] + wd * p[i];
            nb[i] = b == null ? d : momentum * b[i] + d; // PyTorch: first step buf = d
            expected[i] = p[i] - lr * (d + momentum * nb[i]);
          }
          buf.put(n, nb);
          assertClose(nb, r.value(n + ".momentum"), 1e-5, "step " + step + " momentum " + n);
          assertClose(expected, r.value(n), 1e-5, "step " + step + " " + n);
        }
        assertEquals(step + 1, (long) r.last.get("step.new")[0]);
      }
    }
  }

  @Test
  void adamwMatchesPyTorchsFormulas() throws Exception {
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-6;
    double wd = 0.05;
    double lr = 1e-3;
    TrainStepGraph g = TrainingGraphBuilder.build(mlp, TrainOptions.defaults()
        .withOptimizer(OptimizerConfig.adamw(b1, b2, eps, wd)));
    Map<String, double[]> m = new HashMap<>();
    Map<String, double[]> v = new HashMap<>();
    try (StepRunner r = new StepRunner(g)) {
      for (int step = 1; step <= 3; step++) {
        Map<String, double[]> w = weights(r);
        Reference ref = reference(w);
        r.step(batch(g), lr);
        for (String n : WEIGHTS) {
          double[] p = w.get(n);
          double[] gr = ref.grads().get(n);
          double[] mn = m.getOrDefault(n, new double[p.length]).clone();
          double[] vn = v.getOrDefault(n, new double[p.length]).clone();
          double[] expected = new double[p.length];
          for (int i = 0; i < p.length; i++) {
            mn[i] = b1 * mn[i] + (1 - b1) * gr[i];
            vn[i] = b2 * vn[i] + (1 - b2) * gr[i] * gr[i];
            double stepSize = lr / (1 - Math.pow(b1, step));
            double denom = Math.sqrt(vn[i]) / Math.sqrt(1 - Math.pow(b2, step)) + eps;
            expected[i] = p[i] * (1 - lr * wd) - stepSize * mn[i] / denom;
          }
          m.put(n, mn);
          v.put(n, vn);
          assertClose(mn, r.value(n + ".exp_avg"), 1e-6, "step " + step + " exp_avg " + n);
          assertClose(expected, r.value(n), 1e-5, "step " + step + " " + n);
        }
      }
    }
  }

  @Test
  void gradientOutputsEqualTheReferenceGradients() throws Exception {
    TrainStepGraph g = TrainingGraphBuilder.build(mlp, TrainOptions.defaults()
        .withGradientOutputs(true));
    try (StepRunner r = new StepRunner(g)) {
      Reference ref = reference(weights(r));
      Map<String, double[]> out = r.step(batch(g), 0.1);
      for (String n : WEIGHTS) {
        assertClose(ref.grads().get(n), out.get(g.gradientOutputs().get(n)), 1e-6, n + ".grad");
      }
    }
  }
}
