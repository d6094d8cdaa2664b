package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * A gradient check of one tiny forward graph: the derivative written by {@link GradientGraph} for the
 * scalar {@code sum(y * R)} (R random, fixed) against central finite differences of the same sum
 * computed from the forward graph run on ONNX Runtime, for every element of every float input.
 *
 * <p>Tolerances: float64 graphs use h = 1e-6 and |analytic - fd| <= 1e-6 + 1e-5 |fd|; float32 graphs
 * (ops ONNX Runtime's CPU kernels run in float32 only: Conv, ConvTranspose, pooling, Erf, ...) use
 * h = 3e-3 and |analytic - fd| <= 2e-3 + 1e-2 |fd|. The sum is formed in double from the outputs, so
 * only the outputs' own rounding enters the differences.
 */
final class GradCheck {
  static final double H64 = 1e-6;
  static final double H32 = 3e-3;

  private final String name;
  private final int type;
  private final List<Onnx.NodeProto> nodes = new ArrayList<>();
  private final List<Onnx.ValueInfoProto> inputs = new ArrayList<>();
  private final List<Onnx.TensorProto> initializers = new ArrayList<>();
  private final Map<String, Ort.Value> values = new LinkedHashMap<>();
  private final List<String> wrt = new ArrayList<>();
  private final List<String> outputs = new ArrayList<>();
  private final List<String> symbolicNames = new ArrayList<>();
  private final SplittableRandom random;
  private int opset = 17;
  private boolean symbolic;
  private double atol;
  private double rtol;
  private double h;

  private GradCheck(String name, int type, long seed) {
    this.name = name;
    this.type = type;
    this.random = new SplittableRandom(seed);
    boolean dbl = type == DataType.DOUBLE_VALUE;
    this.atol = dbl ? 1e-6 : 2e-3;
    this.rtol = dbl ? 1e-5 : 1e-2;
    this.h = dbl ? H64 : H32;
  }

  static GradCheck f64(String name) {
    return new GradCheck(name, DataType.DOUBLE_VALUE, name.hashCode());
  }

  static GradCheck f32(String name) {
    return new GradCheck(name, DataType.FLOAT_VALUE, name.hashCode());
  }

  GradCheck opset(int v) {
    opset = v;
    return this;
  }

  /**
   * Declares every float and int input with symbolic dims only (one dim_param per input and axis),
   * so that the derivative is written with Shape-op based computations instead of static shapes.
   */
  GradCheck symbolicShapes() {
    symbolic = true;
    return this;
  }

  /** As {@link #symbolicShapes()}, for the named inputs only. */
  GradCheck symbolicShapes(String... names) {
    symbolic = true;
    onlySymbolic = List.of(names);
    return this;
  }

  private List<String> onlySymbolic;

  /** The finite-difference step. */
  GradCheck step(double v) {
    h = v;
    return this;
  }

  GradCheck tolerance(double atol, double rtol) {
    this.atol = atol;
    this.rtol = rtol;
    return this;
  }

  // ---- value generators ----

  DoubleSupplier uniform() {
    return () -> 2 * random.nextDouble() - 1;
  }

  double[] uniformArray(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = 2 * random.nextDouble() - 1;
    }
    return v;
  }

  /** |x| in [0.1, 1), random sign: away from the kinks of Relu and friends. */
  DoubleSupplier awayFromZero() {
    return () -> (random.nextBoolean() ? 1 : -1) * (0.1 + 0.9 * random.nextDouble());
  }

  DoubleSupplier positive() {
    return () -> 0.5 + 1.5 * random.nextDouble();
  }

  DoubleSupplier range(double lo, double hi) {
    return () -> lo + (hi - lo) * random.nextDouble();
  }

  /** Distinct values spaced 0.02 apart, shuffled (no near-ties for MaxPool). */
  double[] distinct(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = -1 + 0.02 * i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      double t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
    return v;
  }

  // ---- graph ----

  /** A float input differentiated by, values from {@code gen}. */
  GradCheck input(String n, long[] dims, DoubleSupplier gen) {
    double[] v = new double[(int) Tensors.elementCount(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = gen.getAsDouble();
    }
    return input(n, dims, v);
  }

  GradCheck input(String n, long[] dims, double[] v) {
    inputs.add(info(n, type, dims));
    symbolicNames.add(n);
    values.put(n, Ort.Value.ofFloats(type, dims, v));
    wrt.add(n);
    return this;
  }

  /** A float input the gradient is not asked for. */
  GradCheck constantInput(String n, long[] dims, DoubleSupplier gen) {
    input(n, dims, gen);
    wrt.remove(n);
    return this;
  }

  /** An int64 input (indices, labels). */
  GradCheck intInput(String n, long[] dims, long... v) {
    inputs.add(info(n, DataType.INT64_VALUE, dims));
    symbolicNames.add(n);
    values.put(n, Ort.Value.ofInts(dims, v));
    return this;
  }

  /** An int64 initializer (shapes, axes). */
  GradCheck ints(String n, long... v) {
    initializers.add(Tensors.int64Vector(n, v));
    return this;
  }

  /** A float initializer of the graph's type. */
  GradCheck floats(String n, long[] dims, double... v) {
    initializers.add(Tensors.of(n, type, dims, v));
    return this;
  }

  GradCheck node(String op, String[] in, String[] out, Onnx.AttributeProto... attrs) {
    nodes.add(Onnx.NodeProto.newBuilder().setName(op + "_" + nodes.size()).setOpType(op)
        .addAllInput(Arrays.asList(in)).addAllOutput(Arrays.asList(out))
        .addAllAttribute(Arrays.asList(attrs)).build());
    return this;
  }

  /** Shorthand: one output named {@code out}. */
  GradCheck node(String op, String out, String[] in, Onnx.AttributeProto... attrs) {
    return node(op, in, new String[] {out}, attrs);
  }

  /** The forward outputs the scalar sums over (each weighted by its own random R). */
  GradCheck output(String... names) {
    outputs.addAll(List.of(names));
    return this;
  }

  // ---- check ----

  /** Runs the check; returns the largest absolute error. */
  double check() {
    try {
      return run();
    } catch (OrtException e) {
      throw new AssertionError(name + ": ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  /** The gradient model the check runs (for assertions on its structure). */
  Onnx.ModelProto gradientModel() {
    try {
      model(false);
      return GradientGraph.build(model(true), "loss", wrt);
    } catch (OrtException e) {
      throw new AssertionError(e);
    }
  }

  private double run() throws OrtException {
    Onnx.ModelProto forward = model(false);
    Onnx.ModelProto withLoss = model(true);
    Onnx.ModelProto grad = GradientGraph.build(withLoss, "loss", wrt);
    Map<String, double[]> r = new LinkedHashMap<>();
    try (OrtSession fs = Ort.session(forward); OrtSession gs = Ort.session(grad)) {
      Map<String, double[]> y0 = Ort.run(fs, values);
      double[][] weights = new double[outputs.size()][];
      for (int k = 0; k < outputs.size(); k++) {
        double[] y = y0.get(outputs.get(k));
        weights[k] = new double[y.length];
        SplittableRandom wr = new SplittableRandom(31L * k + 7);
        for (int i = 0; i < y.length; i++) {
          weights[k][i] = 2 * wr.nextDouble() - 1;
        }
      }
      Map<String, Ort.Value> gradFeed = new LinkedHashMap<>(values);
      for (int k = 0; k < outputs.size(); k++) {
        gradFeed.put("R" + k, Ort.Value.ofFloats(type, outputDims.get(outputs.get(k)),
            weights[k]));
      }
      Map<String, double[]> g = Ort.run(gs, gradFeed);
      double f0 = objective(y0, weights);
      double loss = g.get("loss")[0];
      assertTrue(Math.abs(loss - f0) <= atol + rtol * Math.abs(f0),
          () -> name + ": the gradient graph's forward value " + loss + " differs from the forward"
              + " graph's " + f0);
      double worst = 0;
      for (String w : wrt) {
        Ort.Value v = values.get(w);
        double[] analytic = g.get(w + ".grad");
        double[] x = v.floats().clone();
        for (int i = 0; i < x.length; i++) {
          double xi = x[i];
          x[i] = xi + h;
          double fp = objective(perturbed(fs, w, v.with(x.clone())), weights);
          x[i] = xi - h;
          double fm = objective(perturbed(fs, w, v.with(x.clone())), weights);
          x[i] = xi;
          double fd = (fp - fm) / (2 * h);
          double err = Math.abs(analytic[i] - fd);
          worst = Math.max(worst, err);
          if (err > atol + rtol * Math.abs(fd)) {
            fail(name + ": d/d" + w + "[" + i + "] analytic " + analytic[i] + " vs finite "
                + "difference " + fd + " (error " + err + ")\n analytic " + Arrays.toString(
                analytic) + "\n step graph nodes: " + grad.getGraph().getNodeList().stream()
                .map(Onnx.NodeProto::getOpType).toList());
          }
        }
      }
      return worst;
    }
  }

  private Map<String, double[]> perturbed(OrtSession fs, String w, Ort.Value v)
      throws OrtException {
    Map<String, Ort.Value> feed = new LinkedHashMap<>(values);
    feed.put(w, v);
    return Ort.run(fs, feed);
  }

  private double objective(Map<String, double[]> y, double[][] weights) {
    double f = 0;
    for (int k = 0; k < outputs.size(); k++) {
      double[] v = y.get(outputs.get(k));
      for (int i = 0; i < v.length; i++) {
        f += v[i] * weights[k][i];
      }
    }
    return f;
  }

  private final Map<String, long[]> outputDims = new LinkedHashMap<>();

  private Onnx.ModelProto model(boolean loss) throws OrtException {
    List<Onnx.ValueInfoProto> declared = new ArrayList<>();
    for (Onnx.ValueInfoProto vi : inputs) {
      if (symbolic && loss && symbolicNames.contains(vi.getName())
          && (onlySymbolic == null || onlySymbolic.contains(vi.getName()))) {
        Onnx.ValueInfoProto.Builder b = vi.toBuilder();
        Onnx.TensorShapeProto.Builder s = b.getTypeBuilder().getTensorTypeBuilder()
            .getShapeBuilder();
        for (int i = 0; i < s.getDimCount(); i++) {
          s.getDimBuilder(i).clearDimValue().setDimParam(vi.getName() + "_d" + i);
        }
        declared.add(b.build());
      } else {
        declared.add(vi);
      }
    }
    Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("check")
        .addAllNode(nodes).addAllInput(declared).addAllInitializer(initializers);
    if (!loss) {
      for (String o : outputs) {
        g.addOutput(Onnx.ValueInfoProto.newBuilder().setName(o).setType(Onnx.TypeProto.newBuilder()
            .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(type))));
      }
      Onnx.ModelProto m = wrap(g.build());
      // learn the output dims once
      try (OrtSession s = Ort.session(m)) {
        Map<String, ai.onnxruntime.OnnxTensor> feed = new LinkedHashMap<>();
        for (Map.Entry<String, Ort.Value> e : values.entrySet()) {
          feed.put(e.getKey(), e.getValue().tensor());
        }
        try (OrtSession.Result r = s.run(feed)) {
          for (String o : outputs) {
            outputDims.put(o, ((ai.onnxruntime.OnnxTensor) r.get(o).orElseThrow()).getInfo()
                .getShape());
          }
        } finally {
          feed.values().forEach(ai.onnxruntime.OnnxTensor::close);
        }
      }
      return m;
    }
    List<String> terms = new ArrayList<>();
    for (int k = 0; k < outputs.size(); k++) {
      String r = "R" + k;
      g.addInput(info(r, type, outputDims.get(outputs.get(k))));
      String p = "p" + k;
      g.addNode(Onnx.NodeProto.newBuilder().setOpType("Mul").setName("lossmul" + k)
          .addInput(outputs.get(k)).addInput(r).addOutput(p));
      String s = "s" + k;
      g.addNode(Onnx.NodeProto.newBuilder().setOpType("ReduceSum").setName("losssum" + k)
          .addInput(p).addOutput(s).addAttribute(dev.zeroinit.onnxio.build.Attr.i("keepdims", 0)));
      terms.add(s);
    }
    g.addNode(Onnx.NodeProto.newBuilder().setOpType("Sum").setName("losstotal")
        .addAllInput(terms).addOutput("loss"));
    g.addOutput(info("loss", type, new long[0]));
    return wrap(g.build());
  }

  private Onnx.ModelProto wrap(Onnx.GraphProto g) {
    return Onnx.ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(g).build();
  }

  static Onnx.ValueInfoProto info(String n, int type, long[] dims) {
    Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDimBuilder().setDimValue(d);
    }
    return Onnx.ValueInfoProto.newBuilder().setName(n).setType(Onnx.TypeProto.newBuilder()
        .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }

  static long[] d(long... dims) {
    return dims;
  }
}
