package dev.zeroinit.verify;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import dev.zeroinit.onnxio.tensor.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs the signal check of DESIGN.md §4 on one model file. The model is run from a temporary copy in
 * memory that adds the probed tensors as graph outputs; weights stay where they are (inline weights
 * and external data are read by ONNX Runtime from the model's own folder), and the file is never
 * written.
 *
 * <p>The checks: (1) every float output is finite; (2) no float output is all zero; (3) every float
 * output changes when the input changes (a second run on inputs drawn with seed + 1; relative change
 * above {@link VerifyConfig#CHANGE_TOLERANCE}); (4) no probed tensor is all zero, except those the
 * plan zeroed on purpose (listed as expected); (5) the end-to-end gain, RMS of the first float output
 * over RMS of the reference (the first float input, else an embedding lookup's output, else the first
 * probed tensor), lies in the configured band.
 */
public final class Verifier {
  /** ORT session option: where a model given as bytes finds its external data. */
  static final String EXTERNAL_FOLDER = "session.model_external_initializers_file_folder_path";
  private static final String INLINE_MARKER = "dev.zeroinit.inline";
  /** metadata_props key under which the tool records the options that shaped a file. */
  static final String META_OPTIONS = "dev.zeroinit.options";
  private static final long PROTO_LIMIT = Integer.MAX_VALUE;

  private Verifier() { }

  /**
   * Checks {@code modelFile}. {@code plan} says which weights were zeroed on purpose; null plans the
   * file with the default options.
   *
   * @throws InvalidModelException when the model cannot be read or ONNX Runtime refuses it
   * @throws VerifyInputException when the inputs cannot be set up from the options given
   * @throws DeviceUnavailableException for {@code --device cuda} where CUDA cannot be used
   */
  public static SignalReport verify(Path modelFile, Plan plan, VerifyConfig config)
      throws InvalidModelException, IOException, VerifyInputException, DeviceUnavailableException {
    long t0 = System.nanoTime();
    try (OnnxModel model = OnnxModel.read(modelFile)) {
      ModelProto proto = model.proto();
      if (plan == null) {
        try {
          plan = Planner.plan(proto, planOptionsOf(proto));
        } catch (InvalidModelException e) {
          throw e.inFile(modelFile);
        }
      }
      GraphProto graph = proto.getGraph();
      GraphIndex main = ModelIndex.of(proto).main();
      ModelInputs inputs;
      try {
        inputs = ModelInputs.resolve(graph, main, config);
      } catch (UnsupportedTypeException e) {
        return notRunnable(modelFile, null, List.of(), e.getMessage(), config, t0);
      }
      Probes probes = Probes.select(graph, main, plan);
      Set<String> graphOutputs = new LinkedHashSet<>();
      graph.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
      Set<String> extra = new LinkedHashSet<>();
      probes.probes().forEach(p -> extra.add(p.output()));
      String embedding = probes.embeddingOutput();
      if (embedding != null) {
        extra.add(embedding);
      }
      extra.removeAll(graphOutputs);
      byte[] bytes = probeModel(proto, extra, modelFile);
      Path folder = modelFile.toAbsolutePath().getParent();
      long t1 = System.nanoTime();

      OrtRuntime.Session session;
      try {
        session = OrtRuntime.open((env, o) -> {
          if (folder != null) {
            o.addConfigEntry(EXTERNAL_FOLDER, folder.toString());
          }
          return env.createSession(bytes, o);
        }, config.device(), config.threads());
      } catch (OrtException e) {
        if (e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED) {
          // the provider that was tried last: CUDA when asked for, else the CPU (auto falls back to it)
          boolean cuda = config.device() == Device.CUDA;
          OrtRuntime.Provider tried = new OrtRuntime.Provider(config.device(), cuda ? OrtRuntime.CUDA : OrtRuntime.CPU,
              config.device() == Device.AUTO ? OrtRuntime.cudaUnavailableReason() : null);
          return notRunnable(modelFile, tried, describe(inputs, null, config), "ONNX Runtime has no kernel for it on the "
              + (cuda ? "CUDA" : "CPU") + " provider: " + OrtRuntime.firstLine(e.getMessage()), config, t0);
        }
        throw new InvalidModelException(modelFile, "ONNX Runtime refuses the model: " + OrtRuntime.firstLine(e.getMessage()));
      }
      long t2 = System.nanoTime();
      try (session) {
        return run(modelFile, session, inputs, probes, graphOutputs, embedding, config, t0, t1, t2);
      } catch (OrtException e) {
        return notRunnable(modelFile, session.provider(), describe(inputs, null, config),
            "ONNX Runtime could not run it with these inputs: " + OrtRuntime.firstLine(e.getMessage()), config, t0);
      } catch (UnsupportedTypeException e) {
        return notRunnable(modelFile, session.provider(), describe(inputs, null, config), e.getMessage(), config, t0);
      }
    }
  }

  /**
   * The options a plan of an unknown file is made with: the defaults (ZerO, residual branch ends
   * zeroed), except that a file this tool wrote with {@code --residual plain} or a random
   * {@code --method} (recorded in its metadata under {@value #META_OPTIONS}) zeroes no branch.
   */
  public static PlanOptions planOptionsOf(ModelProto proto) {
    PlanOptions options = PlanOptions.defaults();
    for (StringStringEntryProto e : proto.getMetadataPropsList()) {
      if (!e.getKey().equals(META_OPTIONS)) {
        continue;
      }
      java.util.regex.Matcher residual = java.util.regex.Pattern.compile("--residual (\\S+)").matcher(e.getValue());
      java.util.regex.Matcher method = java.util.regex.Pattern.compile("--method (\\S+)").matcher(e.getValue());
      try {
        if (method.find() && InitMethod.parse(method.group(1)).isRandom()) {
          options = options.withResidual(ResidualMode.PLAIN);
        }
        if (residual.find()) {
          options = options.withResidual(ResidualMode.parse(residual.group(1)));
        }
      } catch (IllegalArgumentException ex) {
        // an option spelling this version does not know: keep the defaults
      }
    }
    return options;
  }

  private static SignalReport run(Path modelFile, OrtRuntime.Session session, ModelInputs inputs, Probes probes,
      Set<String> graphOutputs, String embedding, VerifyConfig config, long t0, long t1, long t2)
      throws OrtException, UnsupportedTypeException {
    OrtEnvironment env = OrtRuntime.environment();
    OrtSession s = session.session();
    Map<String, NodeInfo> info = s.getOutputInfo();
    Map<String, DataType> types = new HashMap<>();
    info.forEach((name, ni) -> {
      if (ni.getInfo() instanceof TensorInfo ti) {
        DataType t = OrtTensors.dataType(ti.onnxType);
        if (t != null) {
          types.put(name, t);
        }
      }
    });
    List<Probes.Probe> floatProbes = probes.probes().stream()
        .filter(p -> types.containsKey(p.output()) && types.get(p.output()).isZeroInitFloat()).toList();
    Set<String> requested = new LinkedHashSet<>(graphOutputs);
    floatProbes.forEach(p -> requested.add(p.output()));
    boolean embeddingUsable = embedding != null && types.containsKey(embedding) && types.get(embedding).isZeroInitFloat();
    if (embeddingUsable) {
      requested.add(embedding);
    }

    Map<String, HostTensor> first = inputs.values(config.seed(), true);
    Map<String, TensorStats> stats = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, HostTensor> outputsFirst = new LinkedHashMap<>();
    long statsNanos;
    long t3;
    long t4;
    int workers = Math.max(1, config.threads() > 0 ? config.threads() : java.lang.Runtime.getRuntime().availableProcessors());
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers, r -> {
      Thread th = new Thread(r, "zero-init-stats");
      th.setDaemon(true);
      return th;
    });
    try (Feed feed = new Feed(env, first)) {
      t3 = System.nanoTime();
      try (OrtSession.Result r = s.run(feed.tensors, requested)) {
        t4 = System.nanoTime();
        List<java.util.concurrent.Future<?>> jobs = new ArrayList<>();
        for (Map.Entry<String, OnnxValue> e : r) {
          if (!(e.getValue() instanceof OnnxTensor t)) {
            continue;
          }
          DataType type = OrtTensors.dataType(t.getInfo().onnxType);
          if (graphOutputs.contains(e.getKey())) {
            try {
              outputsFirst.put(e.getKey(), OrtTensors.read(t));
            } catch (UnsupportedTypeException ex) {
              // an output Java cannot read is reported without values
            }
          }
          if (type != null && type.isZeroInitFloat()) {
            // the tensor's own memory, read while the result is open (the jobs end before it closes)
            ByteBuffer raw = OrtTensors.view(t);
            long[] shape = t.getInfo().getShape();
            String name = e.getKey();
            jobs.add(pool.submit(() -> stats.put(name, TensorStats.of(type, shape, raw))));
          }
        }
        for (java.util.concurrent.Future<?> j : jobs) {
          try {
            j.get();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing statistics", ex);
          } catch (java.util.concurrent.ExecutionException ex) {
            throw new IllegalStateException("statistics failed: " + ex.getCause(), ex.getCause());
          }
        }
      }
      statsNanos = System.nanoTime() - t4;
    } finally {
      pool.shutdownNow();
    }

    // Second run: inputs drawn with seed + 1. It asks for the same outputs as the first, so that ORT
    // reuses the first run's memory plan (asking for the graph outputs alone made it plan anew and
    // ran slower); only the graph outputs are read.
    Map<String, Double> change = new HashMap<>();
    long secondRun;
    try (Feed feed = new Feed(env, inputs.values(config.seed() + 1, false))) {
      long t5 = System.nanoTime();
      try (OrtSession.Result r = s.run(feed.tensors, requested)) {
        secondRun = System.nanoTime() - t5;
        for (Map.Entry<String, OnnxValue> e : r) {
          HostTensor a = outputsFirst.get(e.getKey());
          if (a != null && e.getValue() instanceof OnnxTensor t) {
            change.put(e.getKey(), relativeChange(a, OrtTensors.read(t)));
          }
        }
      }
    }

    // Reference for the gains.
    SignalReport.Reference reference = null;
    for (ModelInputs.Input in : inputs.inputs()) {
      if (in.type().isZeroInitFloat()) {
        reference = new SignalReport.Reference(in.name(), "first float input", TensorStats.of(first.get(in.name())).rms());
        break;
      }
    }
    if (reference == null && embeddingUsable && stats.containsKey(embedding)) {
      reference = new SignalReport.Reference(embedding, "embedding lookup (the model has no float input)",
          stats.get(embedding).rms());
    }
    if (reference == null && !floatProbes.isEmpty() && stats.containsKey(floatProbes.get(0).output())) {
      Probes.Probe p = floatProbes.get(0);
      reference = new SignalReport.Reference(p.output(), "first probed tensor (the model has no float input)",
          stats.get(p.output()).rms());
    }
    double refRms = reference == null ? Double.NaN : reference.rms();

    List<SignalReport.Layer> layers = new ArrayList<>();
    int i = 1;
    for (Probes.Probe p : floatProbes) {
      TensorStats st = stats.get(p.output());
      if (st != null) {
        layers.add(new SignalReport.Layer(i++, p.node(), p.op(), p.output(), p.kind(), st, st.rms() / refRms,
            p.expectedZero()));
      }
    }
    List<SignalReport.Output> outs = new ArrayList<>();
    for (String name : graphOutputs) {
      DataType type = types.get(name);
      HostTensor a = outputsFirst.get(name);
      TensorStats st = stats.get(name);
      outs.add(new SignalReport.Output(name, type == null ? "?" : type.onnxName(),
          a == null ? new long[0] : a.shape(), st, change.getOrDefault(name, Double.NaN),
          st == null ? Double.NaN : st.rms() / refRms));
    }
    List<SignalReport.Check> checks = checks(layers, outs, reference, config);
    boolean failed = checks.stream().anyMatch(c -> c.status() == SignalReport.Status.FAIL);
    long end = System.nanoTime();
    return new SignalReport(modelFile.toString(), session.provider(), describe(inputs, first, config), reference,
        layers, outs, checks, failed ? SignalReport.Verdict.FAIL : SignalReport.Verdict.PASS, null, config.seed(),
        new SignalReport.Timings(t1 - t0, t2 - t1, t4 - t3, secondRun, statsNanos, end - t0));
  }

  static List<SignalReport.Check> checks(List<SignalReport.Layer> layers, List<SignalReport.Output> outs,
      SignalReport.Reference reference, VerifyConfig config) {
    List<SignalReport.Output> floats = outs.stream().filter(o -> o.stats() != null).toList();
    List<SignalReport.Check> checks = new ArrayList<>();

    // (1) finite
    List<String> notFinite = new ArrayList<>();
    for (SignalReport.Output o : floats) {
      if (!o.stats().finite()) {
        notFinite.add(o.name() + " (" + o.stats().nonFinite() + " of " + o.stats().count() + " not finite)");
      }
    }
    checks.add(floats.isEmpty()
        ? new SignalReport.Check(1, "outputs finite", SignalReport.Status.NOT_APPLICABLE, "no float output")
        : new SignalReport.Check(1, "outputs finite", notFinite.isEmpty() ? SignalReport.Status.PASS
            : SignalReport.Status.FAIL, notFinite.isEmpty() ? describeAll(floats, o -> o.name() + ": "
                + o.stats().count() + " of " + o.stats().count() + " finite") : String.join("; ", notFinite)));

    // (2) non-zero
    List<String> zero = new ArrayList<>();
    for (SignalReport.Output o : floats) {
      if (o.stats().count() == 0 || o.stats().allZero()) {
        zero.add(o.name() + " is all zero (" + o.stats().count() + " values)");
      }
    }
    checks.add(floats.isEmpty()
        ? new SignalReport.Check(2, "outputs non-zero", SignalReport.Status.NOT_APPLICABLE, "no float output")
        : new SignalReport.Check(2, "outputs non-zero", zero.isEmpty() ? SignalReport.Status.PASS
            : SignalReport.Status.FAIL, zero.isEmpty() ? describeAll(floats, o -> o.name() + ": RMS "
                + num(o.stats().rms()) + ", " + pct(1 - o.stats().zeroFraction()) + " non-zero") : String.join("; ", zero)));

    // (3) outputs follow the input
    double tol = VerifyConfig.CHANGE_TOLERANCE;
    List<SignalReport.Output> judged = floats.isEmpty() ? outs : floats;
    List<String> still = new ArrayList<>();
    for (SignalReport.Output o : judged) {
      double d = o.relativeChange();
      if (!(d > tol)) {
        still.add(o.name() + ": relative change " + num(d));
      }
    }
    boolean followPass = floats.isEmpty() ? still.size() < judged.size() : still.isEmpty();
    String followDetail = (followPass ? describeAll(judged, o -> o.name() + ": relative change " + num(o.relativeChange()))
        : String.join("; ", still)) + " (inputs of seed " + config.seed() + " vs " + (config.seed() + 1)
        + "; needs > " + plain(tol) + ")";
    checks.add(judged.isEmpty()
        ? new SignalReport.Check(3, "outputs follow the input", SignalReport.Status.NOT_APPLICABLE, "no readable output")
        : new SignalReport.Check(3, "outputs follow the input", followPass ? SignalReport.Status.PASS
            : SignalReport.Status.FAIL, followDetail));

    // (4) no dead layer
    List<String> dead = new ArrayList<>();
    List<String> onPurpose = new ArrayList<>();
    for (SignalReport.Layer l : layers) {
      if (l.stats().allZero() || l.stats().count() == 0) {
        if (l.expectedZero() != null) {
          onPurpose.add(l.node());
        } else {
          dead.add(l.node() + " (" + l.op() + ")");
        }
      }
    }
    String deadDetail;
    if (dead.isEmpty()) {
      deadDetail = layers.size() + " probed tensors, none all zero" + (onPurpose.isEmpty() ? ""
          : " except " + onPurpose.size() + " zeroed on purpose by the plan: " + clip(onPurpose));
    } else {
      deadDetail = dead.size() + " of " + layers.size() + " probed tensors all zero: " + clip(dead)
          + (onPurpose.isEmpty() ? "" : "; " + onPurpose.size() + " more zeroed on purpose");
    }
    checks.add(layers.isEmpty()
        ? new SignalReport.Check(4, "no dead layer", SignalReport.Status.NOT_APPLICABLE, "no float tensor probed")
        : new SignalReport.Check(4, "no dead layer", dead.isEmpty() ? SignalReport.Status.PASS
            : SignalReport.Status.FAIL, deadDetail));

    // (5) end-to-end gain
    SignalReport.Output out = floats.isEmpty() ? null : floats.get(0);
    String band = "[" + plain(config.gainLow()) + ", " + plain(config.gainHigh()) + "]";
    if (out == null || reference == null) {
      checks.add(new SignalReport.Check(5, "end-to-end gain in band", SignalReport.Status.NOT_APPLICABLE,
          out == null ? "no float output" : "no float tensor to measure the input against"));
    } else {
      double g = out.gain();
      boolean in = g >= config.gainLow() && g <= config.gainHigh();
      checks.add(new SignalReport.Check(5, "end-to-end gain in band", in ? SignalReport.Status.PASS
          : SignalReport.Status.FAIL, "RMS(" + out.name() + ") / RMS(" + reference.tensor() + ") = "
              + num(out.stats().rms()) + " / " + num(reference.rms()) + " = " + num(g) + (in ? " in " : " outside ")
              + band));
    }
    return checks;
  }

  private static String clip(List<String> names) {
    return names.size() <= 5 ? String.join(", ", names)
        : String.join(", ", names.subList(0, 5)) + " and " + (names.size() - 5) + " more";
  }

  private static String describeAll(List<SignalReport.Output> outs, java.util.function.Function<SignalReport.Output, String> f) {
    List<String> parts = new ArrayList<>();
    for (SignalReport.Output o : outs) {
      parts.add(f.apply(o));
    }
    return clip(parts);
  }

  /** ||a - b|| / max(||a||, ||b||) for floats (0 when both are zero); 0 or 1 for other types. */
  static double relativeChange(HostTensor a, HostTensor b) {
    if (a.type() != b.type() || !java.util.Arrays.equals(a.shape(), b.shape())) {
      return 1.0;
    }
    int n = a.elementCount();
    if (a.type() == DataType.STRING) {
      return java.util.Arrays.equals(a.stringValues(), b.stringValues()) ? 0 : 1;
    }
    if (!a.isFloat()) {
      return a.data().equals(b.data()) ? 0 : 1;
    }
    double diff = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < n; i++) {
      double x = a.getDouble(i);
      double y = b.getDouble(i);
      diff += (x - y) * (x - y);
      na += x * x;
      nb += y * y;
    }
    double denom = Math.sqrt(Math.max(na, nb));
    return denom == 0 ? 0 : Math.sqrt(diff) / denom;
  }

  /** How each input was made (file or synthesis rule and seed), with its RMS when fed. */
  public static List<SignalReport.InputInfo> describe(ModelInputs inputs, Map<String, HostTensor> values,
      VerifyConfig config) {
    List<SignalReport.InputInfo> out = new ArrayList<>();
    for (ModelInputs.Input in : inputs.inputs()) {
      HostTensor v = values == null ? null : values.get(in.name());
      double rms = v != null && v.isFloat() ? TensorStats.of(v.type(), v.shape(), v.data(), false).rms() : Double.NaN;
      out.add(new SignalReport.InputInfo(in.name(), in.type().onnxName(), in.shape(),
          in.file() != null ? "file " + in.file() : in.rule() + ", seed " + config.seed(), rms));
    }
    return out;
  }

  private static SignalReport notRunnable(Path modelFile, OrtRuntime.Provider provider,
      List<SignalReport.InputInfo> inputs, String reason, VerifyConfig config, long t0) {
    long total = System.nanoTime() - t0;
    return new SignalReport(modelFile.toString(), provider, inputs, null, List.of(), List.of(), List.of(),
        SignalReport.Verdict.NOT_RUNNABLE, reason, config.seed(), new SignalReport.Timings(total, 0, 0, 0, 0, total));
  }

  /**
   * The model as bytes with {@code extra} added as graph outputs (typed where the model declares the
   * type, else left for the runtime to infer). Initializers the reader left in the file stay references
   * into it, so the bytes are small whatever the weights weigh.
   */
  static byte[] probeModel(ModelProto proto, Set<String> extra, Path file) throws InvalidModelException {
    GraphProto.Builder g = proto.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      if (OnnxModel.isInlineInFile(t)) {
        TensorProto.Builder b = t.toBuilder().clearExternalData();
        for (StringStringEntryProto e : t.getExternalDataList()) {
          if (!e.getKey().equals(INLINE_MARKER)) {
            b.addExternalData(e);
          }
        }
        g.setInitializer(i, b);
      }
    }
    Map<String, ValueInfoProto> known = new HashMap<>();
    g.getValueInfoList().forEach(v -> known.put(v.getName(), v));
    Set<String> present = new HashSet<>();
    g.getOutputList().forEach(v -> present.add(v.getName()));
    for (String name : extra) {
      if (present.add(name)) {
        ValueInfoProto v = known.get(name);
        g.addOutput(v != null && v.getType().hasTensorType() ? v : ValueInfoProto.newBuilder().setName(name).build());
      }
    }
    ModelProto m = proto.toBuilder().setGraph(g).build();
    if (m.getSerializedSize() > PROTO_LIMIT - 1024 || m.getSerializedSize() < 0) {
      throw new InvalidModelException(file, "the model's graph, without its large weights, is still above the 2 GB "
          + "a protobuf message may hold");
    }
    return m.toByteArray();
  }

  /** ORT tensors for a set of host tensors, closed together. */
  private static final class Feed implements AutoCloseable {
    final Map<String, OnnxTensor> tensors = new LinkedHashMap<>();

    Feed(OrtEnvironment env, Map<String, HostTensor> values) throws OrtException, UnsupportedTypeException {
      try {
        for (var e : values.entrySet()) {
          tensors.put(e.getKey(), OrtTensors.create(env, e.getValue()));
        }
      } catch (OrtException | UnsupportedTypeException | RuntimeException ex) {
        close();
        throw ex;
      }
    }

    @Override
    public void close() {
      tensors.values().forEach(OnnxTensor::close);
    }
  }

  /** A number for a report: 4 significant digits, scientific outside [1e-3, 1e4). */
  public static String num(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e-3 && a < 1e4) {
      return String.format(Locale.ROOT, "%.4g", v);
    }
    return String.format(Locale.ROOT, "%.3e", v).replace("e+0", "e+").replace("e-0", "e-");
  }

  /** The shortest form of a configured number, e.g. {@code 0.001}, {@code 1e-06}, {@code 1000}. */
  static String plain(double v) {
    java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
    String s = d.toPlainString();
    return s.length() <= 8 ? s : String.format(Locale.ROOT, "%.3g", v);
  }

  /** A fraction as a percentage for a report: {@code 0%}, {@code 12.5%}, {@code 100%}. */
  public static String pct(double f) {
    if (f == 0 || f == 1) {
      return String.format(Locale.ROOT, "%.0f%%", f * 100);
    }
    return String.format(Locale.ROOT, "%.1f%%", f * 100);
  }
}
