package dev.zeroinit.finetune.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.TrainGraphException;
import dev.zeroinit.finetune.TrainStepGraph;
import dev.zeroinit.finetune.TrainStepGraph.Carried;
import dev.zeroinit.finetune.TrainStepGraph.Role;
import dev.zeroinit.finetune.TrainingGraphBuilder;
import dev.zeroinit.finetune.data.Augmentation;
import dev.zeroinit.finetune.data.Batches;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.DeviceUnavailableException;
import dev.zeroinit.verify.OrtRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The fine-tuning loop (DESIGN.md §5): builds the training-step graph of the forward model, runs it
 * on ONNX Runtime once per batch, and feeds every step's output tensors to the next step as they are
 * (on the CPU no value passes through a Java array; the old tensors are closed once the new ones
 * exist). The batch and the learning rate are written into direct buffers that fixed ORT tensors
 * read in place. After every epoch it evaluates the test set with the current tensors, writes a
 * checkpoint, and reports; at the end it gives back the original forward model with the trained
 * parameters and normalisation statistics.
 *
 * <p>Every full batch of an epoch is one step; a last partial batch is left out (the step graph has
 * a fixed batch size, and the order is reshuffled each epoch, so over epochs no sample is always
 * left out). The learning rate of step {@code t} is {@link LrSchedule#at} {@code t}.
 */
public final class Trainer {
  /** The ONNX Runtime session option that lets idle threads spin. */
  static final String SPINNING = "session.intra_op.allow_spinning";
  static final String EXTERNAL_FOLDER = "session.model_external_initializers_file_folder_path";
  /** The checkpoint records the run's epochs under this key; a resumed run may change them. */
  static final String EPOCHS_KEY = "--epochs";

  private Trainer() {}

  /**
   * What to train.
   *
   * @param source the model as read from its file (for external data and to fingerprint it), or
   *     null for a model built in memory
   * @param forward the forward model with every tensor's bytes in the proto
   *     ({@link OnnxModel#materializedProto()}) or in external data of {@code source}
   * @param data the training and test sets
   * @param dataOptions normalisation and augmentation of the batches
   * @param config the run's options
   */
  public record Run(OnnxModel source, Onnx.ModelProto forward, DataSplits data,
      DataOptions dataOptions, FinetuneConfig config) {}

  /**
   * What the run produced.
   *
   * @param model the original forward model with the trained values and the metadata
   * @param history the metrics of every epoch (with those of the checkpoint resumed from)
   * @param provider the execution provider that ran the steps
   * @param resumedFrom epochs the checkpoint had done (0 for a fresh start)
   * @param graph the training-step graph
   * @param busBytesPerStep bytes a step moves between host and device when the provider is not the
   *     CPU: every input (batch, targets, learning rate, every carried value) in, every output out
   */
  public record Result(Onnx.ModelProto model, List<EpochMetrics> history,
      OrtRuntime.Provider provider, int resumedFrom, TrainStepGraph graph, long busBytesPerStep) {
    /** The metrics of the last epoch, or null when none ran. */
    public EpochMetrics last() {
      return history.isEmpty() ? null : history.get(history.size() - 1);
    }
  }

  /**
   * Trains. {@code metadata} entries are added to the trained model besides those the run records
   * ({@link TrainedModel}'s keys).
   *
   * @throws DeviceUnavailableException {@code --device cuda} where CUDA cannot be used
   * @throws FinetuneException the data does not fit the model, a checkpoint does not fit the run,
   *     the model cannot be trained or ONNX Runtime cannot run the step
   */
  public static Result train(Run run, Map<String, String> metadata, TrainingListener listener)
      throws FinetuneException, IOException, DeviceUnavailableException {
    FinetuneConfig c = run.config();
    Onnx.ModelProto forward = run.forward();
    ModelPorts ports = ModelPorts.of(forward, c.output());
    Dataset train = run.data().train();
    boolean flat = ports.flattens(train);
    train = train.flatten(flat);
    ports.check(train, c.loss());
    Dataset test = run.data().test() == null ? null : run.data().test().flatten(flat);
    if (test != null) {
      ports.check(test, c.loss());
    }
    if (ports.fixedBatch() > 0 && ports.fixedBatch() != c.batchSize()) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, "the model's input '"
          + ports.input() + "' has a fixed batch of " + ports.fixedBatch() + "; use --batch "
          + ports.fixedBatch() + " (or a model with a symbolic batch dim)");
    }
    int steps = train.size() / c.batchSize();
    if (steps == 0) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, train.name() + " has "
          + train.size() + " samples, fewer than one batch of " + c.batchSize());
    }
    TrainStepGraph graph;
    try {
      graph = TrainingGraphBuilder.build(forward, c.trainOptions());
    } catch (TrainGraphException e) {
      throw new FinetuneException(FinetuneException.Kind.INVALID_INPUT,
          "cannot be trained: " + e.getMessage(), e);
    }
    if (!graph.batchInputs().equals(List.of(ports.input()))) {
      throw new IllegalStateException("step graph batch inputs " + graph.batchInputs());
    }
    LrSchedule schedule = c.scheduleFor(steps);
    DataOptions dopt = run.dataOptions();
    String dataKey = train.describe() + "; normalize "
        + (dopt.normalization() == null ? "none" : dopt.normalization()) + "; augment "
        + dopt.augmentation();
    String modelKey = fingerprint(run);

    Checkpoint ckpt = null;
    if (c.resume()) {
      Path f = Checkpoint.file(c.checkpointDir());
      if (Files.exists(f)) {
        try {
          ckpt = Checkpoint.read(f);
        } catch (Checkpoint.BadCheckpointException e) {
          throw new FinetuneException(FinetuneException.Kind.INVALID_INPUT, e.getMessage(), e);
        }
        checkResumable(ckpt, f, c, modelKey, dataKey, graph, steps);
      } else {
        listener.info("--resume: no checkpoint in " + c.checkpointDir() + " yet; starting afresh");
      }
    }

    Map<String, String> sessionConfig = new LinkedHashMap<>();
    sessionConfig.put(SPINNING, c.spinning() ? "1" : "0");
    if (run.source() != null && run.source().file() != null) {
      sessionConfig.put(EXTERNAL_FOLDER, run.source().file().getParent().toString());
    }
    OrtEnvironment env = OrtRuntime.environment();
    List<Carried> carried = graph.carried();
    List<String> fed = new ArrayList<>();
    for (Carried k : carried) {
      if (k.role() == Role.PARAMETER || k.role() == Role.RUNNING_MEAN
          || k.role() == Role.RUNNING_VAR) {
        fed.add(k.input());
      }
    }
    int paramType = carried.get(0).elemType();
    long carriedBytes = 0;
    for (Carried k : carried) {
      carriedBytes += TensorData.byteLength(k.elemType(), k.dims());
    }

    List<EpochMetrics> history = new ArrayList<>(ckpt == null ? List.of() : ckpt.history());
    int startEpoch = ckpt == null ? 0 : ckpt.epochsDone();
    long globalStep = ckpt == null ? 0 : ckpt.stepsDone();
    List<ByteBuffer> keep = new ArrayList<>(); // the direct buffers the first tensors read
    List<AutoCloseable> owned = new ArrayList<>(); // what holds the current carried tensors
    Map<String, OnnxTensor> current = new LinkedHashMap<>();
    OrtRuntime.Session step = null;
    OrtRuntime.Session eval = null;
    BatchFeed feed = null;
    BatchFeed testFeed = null;
    OnnxTensor lrTensor = null;
    try {
      byte[] stepBytes = graph.model().toByteArray();
      step = open((e, o) -> e.createSession(stepBytes, o), c.device(), c.threads(), sessionConfig,
          "the training-step graph");
      boolean cuda = step.provider().name().equals(OrtRuntime.CUDA);
      if (test != null && startEpoch < c.epochs()) {
        byte[] evalBytes = EvalGraph.of(forward, fed, ports.output()).toByteArray();
        eval = open((e, o) -> e.createSession(evalBytes, o), cuda ? Device.CUDA : Device.CPU,
            c.threads(), sessionConfig, "the evaluation graph");
      }
      feed = new BatchFeed(env, ports, train, c.loss(), c.batchSize());
      long busBytes = cuda ? feed.bytes() + 2 * carriedBytes + 64 : 0;
      listener.info("execution provider: " + step.provider().describe()
          + (c.spinning() ? "" : ", threads not spinning"));
      listener.info("step graph: " + graph.summary() + "; " + graph.model().getGraph().getNodeCount()
          + " nodes");
      listener.info(train.describe());
      listener.info(test == null ? "no test set" : test.describe());
      listener.info(String.format(Locale.ROOT, "%d steps of %d per epoch%s; %s", steps,
          c.batchSize(), train.size() % c.batchSize() == 0 ? ""
              : " (" + train.size() % c.batchSize() + " samples of the last partial batch left out,"
              + " a different few each epoch)", schedule.describe()));
      if (cuda) {
        listener.info(String.format(Locale.ROOT, "CUDA: %.1f MB cross the bus per step (batch %.1f"
            + " MB and every carried value, %.1f MB, in; the carried values out again): ONNX"
            + " Runtime's Java API has no IOBinding", busBytes / 1e6, feed.bytes() / 1e6,
            carriedBytes / 1e6));
      }
      if (ckpt != null) {
        listener.resumed(ckpt.history());
        String was = ckpt.options().get(EPOCHS_KEY);
        if (was != null && !was.equals(String.valueOf(c.epochs()))) {
          listener.info("note: the checkpoint's run had --epochs " + was + ", this one "
              + c.epochs() + (c.schedule() == LrSchedule.Kind.CONSTANT
                  ? "" : "; the " + c.schedule().optionName() + " schedule follows the new length, so"
                  + " the learning rate from here on differs from the first run's"));
        }
        listener.info("resuming after epoch " + ckpt.epochsDone() + " (step " + ckpt.stepsDone()
            + ") from " + Checkpoint.file(c.checkpointDir()));
      }

      Map<String, Checkpoint.Tensor> saved = new HashMap<>();
      if (ckpt != null) {
        ckpt.tensors().forEach(t -> saved.put(t.name(), t));
      }
      for (Carried k : carried) {
        ByteBuffer data = ckpt != null ? saved.get(k.input()).data()
            : TensorData.rawBytes(graph.initialValue(k), run.source());
        keep.add(data);
        OnnxTensor t = TensorData.tensor(env, data, k.elemType(), k.dims());
        owned.add(t);
        current.put(k.input(), t);
      }
      ByteBuffer lrBuf = TensorData.direct(TensorData.elementBytes(paramType));
      lrTensor = TensorData.tensor(env, lrBuf, paramType, new long[0]);
      Set<String> outputs = new LinkedHashSet<>();
      outputs.add(graph.lossOutput());
      graph.correctOutput().ifPresent(outputs::add);
      carried.forEach(k -> outputs.add(k.output()));
      Batches batches = new Batches(train, c.batchSize(), true, true, c.seed(),
          dopt.normalization(), dopt.augmentation());
      Batches testBatches = null;
      if (eval != null) {
        int evalBatch = ports.fixedBatch() > 0 ? ports.fixedBatch() : c.evalBatchSize();
        testBatches = new Batches(test, evalBatch, false, false, c.seed(), dopt.normalization(),
            Augmentation.NONE);
        testFeed = new BatchFeed(env, ports, test, c.loss(), evalBatch);
      }

      if (ckpt == null) {
        observe(listener, 0, current, carried);
      }
      for (int epoch = startEpoch; epoch < c.epochs(); epoch++) {
        batches.startEpoch(epoch);
        listener.epochStarted(epoch + 1, c.epochs(), steps, c.batchSize());
        double lossSum = 0;
        long correct = 0;
        double lr = 0;
        long t0 = System.nanoTime();
        for (int b = 0; b < steps; b++) {
          feed.fill(batches, b);
          lr = schedule.at(globalStep);
          TensorData.putScalar(lrBuf, paramType, lr);
          Map<String, OnnxTensor> in = new HashMap<>(carried.size() * 2 + 8);
          in.put(ports.input(), feed.input());
          in.put(graph.targetsInput(), feed.targets());
          in.put(graph.learningRateInput(), lrTensor);
          in.putAll(current);
          OrtSession.Result r;
          try {
            r = step.session().run(in, outputs);
          } catch (OrtException e) {
            throw new FinetuneException(FinetuneException.Kind.NOT_RUNNABLE, "ONNX Runtime could not"
                + " run the training step on " + step.provider().name() + ": "
                + firstLine(e.getMessage()), e);
          }
          Map<String, OnnxTensor> next = new LinkedHashMap<>();
          for (Carried k : carried) {
            next.put(k.input(), tensor(r, k.output()));
          }
          double loss = scalar(tensor(r, graph.lossOutput()));
          long right = graph.correctOutput().isPresent()
              ? TensorData.view(tensor(r, graph.correctOutput().get())).getLong(0) : 0;
          for (AutoCloseable o : owned) {
            closeQuietly(o);
          }
          owned.clear();
          keep.clear();
          owned.add(r);
          current = next;
          globalStep++;
          observe(listener, globalStep, current, carried);
          if (!Double.isFinite(loss)) {
            throw new FinetuneException(FinetuneException.Kind.DIVERGED, String.format(Locale.ROOT,
                "the loss became %s at epoch %d, step %d (lr %.4g): training diverged; lower --lr"
                    + " or lengthen --warmup-epochs", loss, epoch + 1, b + 1, lr));
          }
          lossSum += loss;
          correct += right;
          double seconds = (System.nanoTime() - t0) / 1e9;
          listener.stepDone(b + 1, loss, lossSum / (b + 1), lr, (b + 1) * (double) c.batchSize() / seconds);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double trainAcc = graph.correctOutput().isPresent()
            ? (double) correct / ((long) steps * c.batchSize()
                * (c.loss() == LossKind.LANGUAGE_MODEL ? feed.targetWidth() : 1)) : Double.NaN;
        double testLoss = Double.NaN;
        double testAcc = Double.NaN;
        if (eval != null) {
          listener.evaluating();
          Map<String, OnnxTensor> params = new HashMap<>();
          for (String name : fed) {
            params.put(name, current.get(name));
          }
          try {
            Evaluator.Result er = Evaluator.run(eval.session(), ports, testFeed, testBatches,
                c.loss(), params);
            testLoss = er.loss();
            testAcc = er.accuracy();
          } catch (OrtException e) {
            throw new FinetuneException(FinetuneException.Kind.NOT_RUNNABLE, "ONNX Runtime could not"
                + " evaluate the model on " + eval.provider().name() + ": "
                + firstLine(e.getMessage()), e);
          }
        }
        EpochMetrics m = new EpochMetrics(epoch + 1, globalStep, lr, lossSum / steps, trainAcc,
            testLoss, testAcc, (double) steps * c.batchSize() / seconds);
        history.add(m);
        listener.epochDone(m, c.epochs());
        if (c.checkpointDir() != null) {
          List<Checkpoint.Tensor> ts = new ArrayList<>();
          for (Carried k : carried) {
            ts.add(new Checkpoint.Tensor(k.input(), k.role(), k.elemType(), k.dims(),
                TensorData.view(current.get(k.input()))));
          }
          Map<String, String> options = new LinkedHashMap<>(c.resumeKey());
          options.put(EPOCHS_KEY, String.valueOf(c.epochs()));
          Checkpoint cp = new Checkpoint(epoch + 1, globalStep, c.seed(), options, modelKey,
              dataKey, history, ts);
          long bytes = cp.write(c.checkpointDir());
          listener.checkpointWritten(Checkpoint.file(c.checkpointDir()), bytes);
        }
      }

      Map<String, ByteString> values = new LinkedHashMap<>();
      for (String name : fed) {
        values.put(name, ByteString.copyFrom(TensorData.view(current.get(name))));
      }
      Map<String, String> meta = new LinkedHashMap<>(metadata);
      meta.put(TrainedModel.META_LOSS, c.loss().optionName());
      if (dopt.normalization() != null) {
        meta.put(TrainedModel.META_NORMALIZE, dopt.normalization().toString());
      }
      meta.put(TrainedModel.META_EPOCHS, String.valueOf(history.size()));
      meta.put(TrainedModel.META_DATA, dataKey);
      EpochMetrics last = history.isEmpty() ? null : history.get(history.size() - 1);
      if (last != null && Double.isFinite(last.testLoss())) {
        meta.put(TrainedModel.META_TEST_LOSS, String.valueOf(last.testLoss()));
      }
      if (last != null && Double.isFinite(last.testAccuracy())) {
        meta.put(TrainedModel.META_TEST_ACCURACY, String.valueOf(last.testAccuracy()));
      }
      Onnx.ModelProto base = run.source() != null ? run.source().proto() : forward;
      Onnx.ModelProto trained;
      try {
        trained = TrainedModel.apply(base, values, meta);
      } catch (InvalidModelException e) {
        throw new FinetuneException(FinetuneException.Kind.INVALID_INPUT, e.getMessage(), e);
      }
      return new Result(trained, List.copyOf(history), step.provider(), startEpoch, graph, busBytes);
    } catch (OrtException e) {
      throw new FinetuneException(FinetuneException.Kind.NOT_RUNNABLE, "ONNX Runtime: "
          + firstLine(e.getMessage()), e);
    } finally {
      for (AutoCloseable o : owned) {
        closeQuietly(o);
      }
      closeQuietly(lrTensor);
      closeQuietly(feed);
      closeQuietly(testFeed);
      closeQuietly(eval);
      closeQuietly(step);
    }
  }

  /** Hands the listener the carried values it asks for after {@code step}. */
  private static void observe(TrainingListener listener, long step, Map<String, OnnxTensor> current,
      List<Carried> carried) {
    Set<String> wanted = listener.observe(step);
    if (wanted.isEmpty()) {
      return;
    }
    Map<String, ObservedTensor> values = new LinkedHashMap<>();
    for (Carried k : carried) {
      if (wanted.contains(k.input())) {
        values.put(k.input(), new ObservedTensor(k.input(), TensorData.type(k.elemType()),
            k.dims().clone(), TensorData.view(current.get(k.input())).asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)));
      }
    }
    listener.observed(step, values);
  }

  private static OrtRuntime.Session open(OrtRuntime.ModelSource source, Device device, int threads,
      Map<String, String> config, String what)
      throws FinetuneException, DeviceUnavailableException {
    try {
      return OrtRuntime.open(source, device, threads, config);
    } catch (OrtException e) {
      FinetuneException.Kind kind = e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED
          ? FinetuneException.Kind.NOT_RUNNABLE : FinetuneException.Kind.INVALID_INPUT;
      throw new FinetuneException(kind, "ONNX Runtime refuses " + what + ": "
          + firstLine(e.getMessage()), e);
    }
  }

  /** The first line of an ORT message, without its "Error code - ... - message:" prefix. */
  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    return s.lines().findFirst().orElse("").replaceFirst("^Error code - \\S+ - message: ", "")
        .strip();
  }

  private static OnnxTensor tensor(OrtSession.Result r, String name) {
    OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
    if (!(v instanceof OnnxTensor t)) {
      throw new IllegalStateException("output " + name + " is not a tensor");
    }
    return t;
  }

  private static double scalar(OnnxTensor t) {
    return TensorData.get(TensorData.view(t), Evaluator.outputType(t), 0);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // nothing useful to do: the native memory goes with the process
    }
  }

  /** Refuses a checkpoint of another run, naming the first thing that differs. */
  static void checkResumable(Checkpoint ckpt, Path file, FinetuneConfig c, String modelKey,
      String dataKey, TrainStepGraph graph, int steps) throws FinetuneException {
    String why = null;
    Map<String, String> now = c.resumeKey();
    for (Map.Entry<String, String> e : now.entrySet()) {
      String was = ckpt.options().get(e.getKey());
      if (!e.getValue().equals(was)) {
        why = "it was made with " + e.getKey() + " " + (was == null || was.isEmpty() ? "(none)" : was)
            + ", this run has " + (e.getValue().isEmpty() ? "(none)" : e.getValue());
        break;
      }
    }
    if (why == null && !ckpt.model().equals(modelKey)) {
      why = "it was made for another model (" + ckpt.model() + ")";
    }
    if (why == null && !ckpt.data().equals(dataKey)) {
      why = "it was made with other data (" + ckpt.data() + ")";
    }
    if (why == null && ckpt.stepsDone() != (long) ckpt.epochsDone() * steps) {
      why = "its " + ckpt.stepsDone() + " steps in " + ckpt.epochsDone() + " epochs do not match "
          + steps + " steps per epoch";
    }
    if (why == null) {
      List<Carried> carried = graph.carried();
      if (carried.size() != ckpt.tensors().size()) {
        why = "it holds " + ckpt.tensors().size() + " tensors, the step carries " + carried.size();
      }
      for (int i = 0; why == null && i < carried.size(); i++) {
        Carried k = carried.get(i);
        Checkpoint.Tensor t = ckpt.tensors().get(i);
        if (!k.input().equals(t.name()) || k.role() != t.role() || k.elemType() != t.elemType()
            || !java.util.Arrays.equals(k.dims(), t.dims())) {
          why = "its tensor '" + t.name() + "' does not match the step's '" + k.input() + "'";
        }
      }
    }
    if (why != null) {
      throw new FinetuneException(FinetuneException.Kind.USAGE, file + ": cannot resume: " + why
          + "; resume with the options of that run, or start afresh without --resume");
    }
  }

  /** SHA-256 of the model file (or, for a model built in memory, of its bytes). */
  static String fingerprint(Run run) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    if (run.source() != null && run.source().file() != null) {
      try (InputStream in = Files.newInputStream(run.source().file())) {
        byte[] buf = new byte[1 << 20];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
      }
    } else {
      md.update(run.forward().toByteArray());
    }
    return "sha256:" + HexFormat.of().formatHex(md.digest());
  }
}
