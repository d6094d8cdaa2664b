package dev.zeroinit.finetune;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Throughput of a step graph on ONNX Runtime's CPU provider (spinning off): the paper's MLP
 * 784-784-1024-1024-10 by default, or the sample ResNet; random data, each step's carried outputs
 * fed as the next step's inputs without copying. Not a test; run with
 * {@code java -cp finetune/target/classes:finetune/target/test-classes:$(deps)
 * dev.zeroinit.finetune.StepGraphBench [batch] [threads] [steps] [sgd|momentum|adamw]
 * [mlp|sample-resnet|resnet18:WIDTH|...] [profile-file-prefix]}; with a prefix, ONNX Runtime
 * writes a per-node profile (JSON) of the run, warm-up steps included.
 */
public final class StepGraphBench {
  private StepGraphBench() {}

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 300;
    String opt = args.length > 3 ? args[3] : "sgd";
    OptimizerConfig cfg = switch (opt) {
      case "momentum" -> OptimizerConfig.sgd(0.9, false, 1e-4);
      case "adamw" -> OptimizerConfig.adamw();
      default -> OptimizerConfig.sgd();
    };
    String modelArg = args.length > 4 ? args[4] : "mlp";
    // NAME or NAME:WIDTH (a CNN's width multiplier, e.g. resnet18:0.5)
    String modelName = modelArg.split(":")[0];
    ModelOptions options = modelArg.contains(":")
        ? ModelOptions.DEFAULTS.withWidthMultiplier(Double.parseDouble(modelArg.split(":")[1]))
        : ModelOptions.DEFAULTS;
    Onnx.ModelProto mlp = ModelCatalog.standard().build(modelName, options);
    long[] inDims = mlp.getGraph().getInput(0).getType().getTensorType().getShape().getDimList()
        .stream().mapToLong(d -> d.hasDimValue() ? d.getDimValue() : batch).toArray();
    int features = (int) (java.util.Arrays.stream(inDims).reduce(1, (a, b) -> a * b) / batch);
    long t0 = System.nanoTime();
    TrainStepGraph g = TrainingGraphBuilder.build(mlp, TrainOptions.defaults().withOptimizer(cfg)
        .withBatchSize(batch));
    long t1 = System.nanoTime();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setIntraOpNumThreads(threads);
    so.setInterOpNumThreads(1);
    so.addConfigEntry("session.intra_op.allow_spinning", "0");
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (args.length > 5) {
      so.enableProfiling(args[5]);
    }
    try (OrtSession s = env.createSession(g.model().toByteArray(), so)) {
      long t2 = System.nanoTime();
      SplittableRandom r = new SplittableRandom(1);
      List<OnnxTensor[]> batches = new ArrayList<>();
      for (int k = 0; k < 8; k++) {
        float[] x = new float[batch * features];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) r.nextDouble();
        }
        long[] y = new long[batch];
        for (int i = 0; i < batch; i++) {
          y[i] = r.nextInt(10);
        }
        batches.add(new OnnxTensor[] {
            OnnxTensor.createTensor(env, FloatBuffer.wrap(x), inDims),
            OnnxTensor.createTensor(env, LongBuffer.wrap(y), new long[] {batch})});
      }
      OnnxTensor lr = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {0.01f}),
          new long[0]);
      Map<String, OnnxTensor> carried = new HashMap<>();
      List<OnnxTensor> initial = new ArrayList<>();
      for (TrainStepGraph.Carried c : g.carried()) {
        Onnx.TensorProto t = g.initialValue(c);
        OnnxTensor v;
        if (c.role() == TrainStepGraph.Role.STEP) {
          v = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {0}), new long[0]);
        } else {
          v = OnnxTensor.createTensor(env, FloatBuffer.wrap(StepRunnerFloats.of(t)), c.dims());
        }
        initial.add(v);
        carried.put(c.input(), v);
      }
      OrtSession.Result previous = null;
      int warmup = modelName.equals("mlp") ? 20 : 2;
      long start = 0;
      double loss = 0;
      for (int step = 0; step < warmup + steps; step++) {
        if (step == warmup) {
          start = System.nanoTime();
        }
        OnnxTensor[] b = batches.get(step % batches.size());
        Map<String, OnnxTensor> feed = new HashMap<>(carried);
        feed.put("input", b[0]);
        feed.put(g.targetsInput(), b[1]);
        feed.put(g.learningRateInput(), lr);
        OrtSession.Result result = s.run(feed);
        for (TrainStepGraph.Carried c : g.carried()) {
          carried.put(c.input(), (OnnxTensor) result.get(c.output()).orElseThrow());
        }
        if (previous != null) {
          previous.close();
        }
        previous = result;
        if (step == warmup + steps - 1) {
          OnnxValue l = result.get(g.lossOutput()).orElseThrow();
          loss = ((OnnxTensor) l).getFloatBuffer().get(0);
        }
      }
      long end = System.nanoTime();
      double seconds = (end - start) / 1e9;
      System.out.printf("%s, %s, batch %d, %d intra-op threads, spinning off:"
          + " %d steps in %.2f s = %.0f samples/s (%.2f ms/step); build %.0f ms, session %.0f ms;"
          + " %d nodes; last loss %.4f%n", modelName.equals("mlp") ? "MLP 784-784-1024-1024-10"
          : modelName, opt, batch, threads, steps, seconds,
          steps * (double) batch / seconds, seconds * 1000 / steps, (t1 - t0) / 1e6,
          (t2 - t1) / 1e6, g.model().getGraph().getNodeCount(), loss);
      previous.close();
      initial.forEach(OnnxTensor::close);
      if (args.length > 5) {
        System.out.println("profile: " + s.endProfiling());
      }
    }
  }

  /** Float values of a tensor proto. */
  static final class StepRunnerFloats {
    static float[] of(Onnx.TensorProto t) {
      double[] d = StepRunner.decode(t);
      float[] f = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        f[i] = (float) d[i];
      }
      return f;
    }
  }
}
