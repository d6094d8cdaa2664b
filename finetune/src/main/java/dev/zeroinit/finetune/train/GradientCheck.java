package dev.zeroinit.finetune.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.TrainGraphException;
import dev.zeroinit.finetune.TrainOptions;
import dev.zeroinit.finetune.TrainStepGraph;
import dev.zeroinit.finetune.TrainingGraphBuilder;
import dev.zeroinit.init.Plan;
import dev.zeroinit.init.Planner;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.graph.GraphInputs;
import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.DeviceUnavailableException;
import dev.zeroinit.verify.HostTensor;
import dev.zeroinit.verify.ModelInputs;
import dev.zeroinit.verify.OrtRuntime;
import dev.zeroinit.verify.OrtTensors;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.TensorStats;
import dev.zeroinit.verify.UnsupportedTypeException;
import dev.zeroinit.verify.Verifier;
import dev.zeroinit.verify.VerifyConfig;
import dev.zeroinit.verify.VerifyInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backward half of the signal check (DESIGN.md §4, {@code zero-init verify --grad}): one training
 * step of the model's training-step graph on a synthesized batch, on ONNX Runtime, with every
 * parameter's gradient as an output. Every trainable tensor must receive a finite gradient that is not
 * all zero, except where the plan zeroed a whole chain on purpose.
 *
 * <p>The batch is the signal check's: the same inputs (seeded, or from files), the same dims and
 * execution-provider choice ({@link VerifyConfig}). The loss and its targets are {@link CheckLoss}'s.
 * The step graph trains every float initializer the loss depends on through a differentiable input
 * (as {@code zero-init finetune} does, nothing frozen); BatchNormalization runs with batch
 * statistics.
 *
 * <p>Per tensor: OK (finite, not all zero); ZERO-EXPECTED (all zero, and {@link dev.zeroinit.finetune.ZeroGradients the
 * graph proves} it is so because of weights the plan zeroed on purpose — with ZerO's zero-last
 * residual scheme, the layers of a branch before its zeroed last layer, and the scale of a
 * normalisation of that layer's zero output, while the zeroed layer itself gets a gradient); ZERO
 * (all zero otherwise: fails); NON-FINITE (NaN or infinity: fails).
 */
public final class GradientCheck {
  private GradientCheck() { }

  /**
   * Checks the gradients of {@code modelFile}. {@code plan} says which weights were zeroed on purpose
   * (null plans the file as the signal check does); {@code loss} null chooses it from the output.
   *
   * @throws InvalidModelException when the model cannot be read or ONNX Runtime refuses the step graph
   * @throws VerifyInputException when the inputs cannot be set up from the options given
   * @throws DeviceUnavailableException for {@code --device cuda} where CUDA cannot be used
   * @throws GradientCheckException when no loss fits or no training step can be built
   */
  public static GradientReport run(Path modelFile, Plan plan, VerifyConfig config, LossKind loss)
      throws InvalidModelException, IOException, VerifyInputException, DeviceUnavailableException,
      GradientCheckException {
    long t0 = System.nanoTime();
    try (OnnxModel model = OnnxModel.read(modelFile)) {
      Onnx.ModelProto proto = model.proto();
      if (plan == null) {
        try {
          plan = Planner.plan(proto, Verifier.planOptionsOf(proto));
        } catch (InvalidModelException e) {
          throw e.inFile(modelFile);
        }
      }
      Onnx.GraphProto graph = proto.getGraph();
      CheckLoss choice = CheckLoss.choose(graph, loss);
      ModelInputs inputs;
      try {
        inputs = ModelInputs.resolve(graph, ModelIndex.of(proto).main(), config);
      } catch (UnsupportedTypeException e) {
        return notRunnable(modelFile, null, choice, List.of(), null, e.getMessage(), config, t0);
      }
      Onnx.ModelProto forward = model.materializedProto();
      TrainStepGraph step;
      try {
        step = TrainingGraphBuilder.build(forward, TrainOptions.defaults().withLoss(choice.kind())
            .withOutput(choice.output()).withBatchSize(batchOf(graph, inputs)).withGradientOutputs(true));
      } catch (TrainGraphException e) {
        throw new GradientCheckException(GradientCheckException.Kind.INVALID_INPUT,
            "--grad: no training step can be built: " + e.getMessage(), e);
      }
      int paramType = step.carried().get(0).elemType();
      Map<String, HostTensor> values = inputs.values(config.seed(), true);
      List<Onnx.ValueInfoProto> declared = GraphInputs.fed(graph);
      HostTensor targets = choice.targets(input(step, step.targetsInput()), declared, inputs.inputs(),
          paramType, config.seed());
      List<SignalReport.InputInfo> fed = Verifier.describe(inputs, values, config);
      SignalReport.InputInfo targetInfo = new SignalReport.InputInfo(step.targetsInput(),
          targets.type().onnxName(), targets.shape(), choice.targetRule() + ", seed " + config.seed(),
          targets.isFloat() ? TensorStats.of(targets.type(), targets.shape(), targets.data(), false).rms()
              : Double.NaN);

      Map<String, String> sessionConfig = new LinkedHashMap<>();
      Path folder = modelFile.toAbsolutePath().getParent();
      if (folder != null) {
        sessionConfig.put(Trainer.EXTERNAL_FOLDER, folder.toString());
      }
      byte[] bytes = step.model().toByteArray();
      long t1 = System.nanoTime();
      OrtRuntime.Session session;
      try {
        session = OrtRuntime.open((e, o) -> e.createSession(bytes, o), config.device(), config.threads(),
            sessionConfig);
      } catch (OrtException e) {
        if (e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED) {
          boolean cuda = config.device() == Device.CUDA;
          OrtRuntime.Provider tried = new OrtRuntime.Provider(config.device(), cuda ? OrtRuntime.CUDA
              : OrtRuntime.CPU, config.device() == Device.AUTO ? OrtRuntime.cudaUnavailableReason() : null);
          return notRunnable(modelFile, tried, choice, fed, targetInfo, "ONNX Runtime has no kernel for the "
              + "training step on the " + (cuda ? "CUDA" : "CPU") + " provider: " + Trainer.firstLine(e.getMessage()),
              config, t0);
        }
        throw new InvalidModelException(modelFile, "ONNX Runtime refuses the training-step graph: "
            + Trainer.firstLine(e.getMessage()));
      }
      long t2 = System.nanoTime();
      try (session) {
        return run(modelFile, model, plan, forward.getGraph(), step, session, choice, values, targets, fed,
            targetInfo, config, new long[] {t0, t1, t2});
      } catch (OrtException e) {
        return notRunnable(modelFile, session.provider(), choice, fed, targetInfo,
            "ONNX Runtime could not run the training step: " + Trainer.firstLine(e.getMessage()), config, t0);
      } catch (UnsupportedTypeException e) {
        return notRunnable(modelFile, session.provider(), choice, fed, targetInfo, e.getMessage(), config, t0);
      }
    }
  }

  private static GradientReport run(Path modelFile, OnnxModel model, Plan plan, Onnx.GraphProto forward,
      TrainStepGraph step, OrtRuntime.Session session, CheckLoss choice, Map<String, HostTensor> values,
      HostTensor targets, List<SignalReport.InputInfo> fed, SignalReport.InputInfo targetInfo, VerifyConfig config,
      long[] t) throws OrtException, UnsupportedTypeException, IOException {
    OrtEnvironment env = OrtRuntime.environment();
    List<AutoCloseable> open = new ArrayList<>();
    List<ByteBuffer> keep = new ArrayList<>(); // the direct buffers the carried tensors read in place
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    List<GradientReport.Tensor> tensors = new ArrayList<>();
    double lossValue;
    long t3;
    long t4;
    try {
      for (Map.Entry<String, HostTensor> e : values.entrySet()) {
        if (step.batchInputs().contains(e.getKey())) { // an input the loss does not reach is not in the step graph
          feed.put(e.getKey(), track(open, OrtTensors.create(env, e.getValue())));
        }
      }
      feed.put(step.targetsInput(), track(open, OrtTensors.create(env, targets)));
      int paramType = step.carried().get(0).elemType();
      ByteBuffer lr = TensorData.direct(TensorData.elementBytes(paramType));
      keep.add(lr);
      feed.put(step.learningRateInput(), track(open, TensorData.tensor(env, lr, paramType, new long[0])));
      for (TrainStepGraph.Carried k : step.carried()) {
        ByteBuffer data = TensorData.rawBytes(step.initialValue(k), model);
        keep.add(data);
        feed.put(k.input(), track(open, TensorData.tensor(env, data, k.elemType(), k.dims())));
      }
      Set<String> wanted = new LinkedHashSet<>();
      wanted.add(step.lossOutput());
      wanted.addAll(step.gradientOutputs().values());
      t3 = System.nanoTime();
      try (OrtSession.Result r = session.session().run(feed, wanted)) {
        t4 = System.nanoTime();
        lossValue = OrtTensors.read(tensor(r, step.lossOutput())).getDouble(0);
        int i = 1;
        for (String p : step.parameters()) {
          OnnxTensor g = tensor(r, step.gradientOutputs().get(p));
          DataType type = OrtTensors.dataType(g.getInfo().onnxType);
          if (type == null || !type.isZeroInitFloat()) {
            throw new UnsupportedTypeException("the gradient of '" + p + "' is of type " + g.getInfo().onnxType);
          }
          TensorStats s = TensorStats.of(type, g.getInfo().getShape(), OrtTensors.view(g), false);
          tensors.add(new GradientReport.Tensor(i++, p, s, null, null));
        }
      }
    } finally {
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          // native memory goes with the process
        }
      }
      keep.clear();
    }
    List<GradientReport.Tensor> judged = judge(tensors, new GradientBlame(forward, choice.output(), plan, model),
        step.parameters());
    boolean failed = judged.stream().anyMatch(x -> x.status().fails());
    long end = System.nanoTime();
    return new GradientReport(modelFile.toString(), session.provider(), choice.kind(), choice.reason(),
        choice.output(), fed, targetInfo, lossValue, judged, step.excluded(),
        failed ? GradientReport.Verdict.FAIL : GradientReport.Verdict.PASS, null, config.seed(),
        new GradientReport.Timings(t[1] - t[0], t[2] - t[1], t4 - t3, end - t[0]));
  }

  /** Gives each tensor its status; all-zero gradients are explained only when one is. */
  static List<GradientReport.Tensor> judge(List<GradientReport.Tensor> tensors, GradientBlame blame,
      List<String> params) throws IOException {
    boolean anyZero = tensors.stream().anyMatch(x -> x.stats().finite() && x.stats().allZero());
    Map<String, String> expected = anyZero ? blame.expected(params) : Map.of();
    Map<String, String> unplanned = null;
    List<GradientReport.Tensor> out = new ArrayList<>();
    for (GradientReport.Tensor x : tensors) {
      TensorStats s = x.stats();
      GradientReport.Status status;
      String why = null;
      if (!s.finite()) {
        status = GradientReport.Status.NON_FINITE;
        why = s.nonFinite() + " of " + s.count() + " values not finite";
      } else if (s.allZero()) {
        why = expected.get(x.name());
        status = why != null ? GradientReport.Status.ZERO_EXPECTED : GradientReport.Status.ZERO;
        if (why == null) {
          if (unplanned == null) {
            unplanned = blame.unplanned(params);
          }
          why = unplanned.get(x.name());
        }
      } else {
        status = GradientReport.Status.OK;
      }
      out.add(new GradientReport.Tensor(x.index(), x.name(), s, status, why));
    }
    return out;
  }

  /**
   * The batch size the step graph is built for: the size of the first input's first dim where the
   * model leaves it symbolic (as --batch or --dim set it), else 0 (nothing to fix).
   */
  static long batchOf(Onnx.GraphProto graph, ModelInputs inputs) {
    for (Onnx.ValueInfoProto v : GraphInputs.fed(graph)) {
      if (!v.getType().getTensorType().hasShape()
          || v.getType().getTensorType().getShape().getDimCount() == 0) {
        continue;
      }
      Onnx.TensorShapeProto.Dimension d0 = v.getType().getTensorType().getShape().getDim(0);
      if (d0.hasDimValue() && d0.getDimValue() > 0) {
        continue;
      }
      for (ModelInputs.Input in : inputs.inputs()) {
        if (in.name().equals(v.getName()) && in.shape().length > 0) {
          return in.shape()[0];
        }
      }
    }
    return 0;
  }

  private static Onnx.ValueInfoProto input(TrainStepGraph step, String name) {
    return step.model().getGraph().getInputList().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalStateException("the step graph has no input " + name));
  }

  private static GradientReport notRunnable(Path modelFile, OrtRuntime.Provider provider, CheckLoss choice,
      List<SignalReport.InputInfo> fed, SignalReport.InputInfo targets, String reason, VerifyConfig config, long t0) {
    long total = System.nanoTime() - t0;
    return new GradientReport(modelFile.toString(), provider, choice.kind(), choice.reason(), choice.output(), fed,
        targets, Double.NaN, List.of(), Map.of(), GradientReport.Verdict.NOT_RUNNABLE, reason, config.seed(),
        new GradientReport.Timings(total, 0, 0, total));
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> open, T c) {
    open.add(c);
    return c;
  }

  private static OnnxTensor tensor(OrtSession.Result r, String name) {
    OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
    if (!(v instanceof OnnxTensor t)) {
      throw new IllegalStateException("output " + name + " is not a tensor");
    }
    return t;
  }
}
