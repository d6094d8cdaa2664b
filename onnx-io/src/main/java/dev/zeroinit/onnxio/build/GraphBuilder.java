package dev.zeroinit.onnxio.build;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one ONNX graph from Java: inputs, outputs, initializers, nodes, and layer-level helpers
 * (conv, batch norm, gemm, pooling...) that create their own weights and track shapes, so that small
 * test models and reference architectures take a few lines each.
 *
 * <p>Weights are drawn from a {@link java.util.SplittableRandom} keyed by the seed and the weight's
 * name (PyTorch's default uniform init, bound 1/sqrt(fan_in)), so the same calls with the same seed
 * give byte-identical graphs. Batch-norm parameters get "trained-looking" values (scale and variance
 * in [0.5, 1.5), bias and mean in [-0.1, 0.1)). Names come from {@link #fresh(String)} under the
 * current {@link #scope(String)}: a helper named {@code conv} under scope {@code layer1.0} makes the
 * node and output {@code layer1.0.conv} and the initializers {@code layer1.0.conv.weight},
 * {@code layer1.0.conv.bias}.
 *
 * <p>In shapes passed to this class, a dim of -1 is symbolic; in graph inputs and outputs it is
 * written as a {@code dim_param} named by {@link #dimParams(String...)} (default {@code "batch"}).
 */
public final class GraphBuilder {
  /** The epsilon of every BatchNormalization this builder makes (PyTorch's default). */
  public static final float BN_EPSILON = 1e-5f;

  private record ValueType(int elemType, long[] dims) {}

  private final String name;
  private SeededValues values;
  private final List<Onnx.ValueInfoProto> inputs = new ArrayList<>();
  private final List<Onnx.ValueInfoProto> outputs = new ArrayList<>();
  private final List<Onnx.TensorProto> initializers = new ArrayList<>();
  private final List<Onnx.NodeProto> nodes = new ArrayList<>();
  private final Map<String, ValueType> types = new HashMap<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Set<String> produced = new HashSet<>();
  private final Set<String> nodeNames = new HashSet<>();
  private List<String> dimParams = List.of("batch");
  private String scope = "";

  /** A graph named {@code name} whose weights use seed 0. */
  public GraphBuilder(String name) {
    this(name, 0);
  }

  /** A graph named {@code name} whose weights are drawn with {@code seed}. */
  public GraphBuilder(String name, long seed) {
    this.name = name;
    this.values = new SeededValues(seed);
  }

  /** Sets the seed for weights drawn from now on. */
  public GraphBuilder seed(long seed) {
    this.values = new SeededValues(seed);
    return this;
  }

  public long seed() {
    return values.seed();
  }

  /** Names given, in order, to the -1 dims of each input or output shape declared from now on. */
  public GraphBuilder dimParams(String... names) {
    this.dimParams = List.of(names);
    return this;
  }

  /** Prefix ({@code scope + "."}) for names made by {@link #fresh} from now on; "" for none. */
  public GraphBuilder scope(String scope) {
    this.scope = scope == null ? "" : scope;
    return this;
  }

  /**
   * A name not used yet in this graph: {@code prefix} under the current scope, then {@code _1},
   * {@code _2}... The name is reserved.
   */
  public String fresh(String prefix) {
    String base = scope.isEmpty() ? prefix : scope + "." + prefix;
    String candidate = base;
    for (int k = 1; usedNames.contains(candidate); k++) {
      candidate = base + "_" + k;
    }
    usedNames.add(candidate);
    return candidate;
  }

  // ---- inputs, outputs, initializers, nodes ----

  /** Declares a graph input; returns its name. */
  public String input(String name, int elemType, long... dims) {
    produce(name, elemType, dims);
    inputs.add(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph input; returns its name. */
  public String input(String name, Onnx.TensorProto.DataType elemType, long... dims) {
    return input(name, elemType.getNumber(), dims);
  }

  /** Declares a graph output of the given type; returns its name. */
  public String output(String name, int elemType, long... dims) {
    usedNames.add(name);
    outputs.add(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph output of the given type; returns its name. */
  public String output(String name, Onnx.TensorProto.DataType elemType, long... dims) {
    return output(name, elemType.getNumber(), dims);
  }

  /** Declares a graph output with the type and shape this builder tracked for it. */
  public String output(String name) {
    ValueType t = type(name);
    return output(name, t.elemType(), t.dims());
  }

  /** Adds an initializer from floats stored as {@code elemType}; returns its name. */
  public String initializer(String name, int elemType, long[] dims, float[] data) {
    return initializer(Tensors.of(name, elemType, dims, data));
  }

  /** Adds an initializer from doubles stored as {@code elemType}; returns its name. */
  public String initializer(String name, int elemType, long[] dims, double[] data) {
    return initializer(Tensors.of(name, elemType, dims, data));
  }

  /** Adds a ready-made initializer (it must be named); returns its name. */
  public String initializer(Onnx.TensorProto tensor) {
    String n = tensor.getName();
    if (n.isEmpty()) {
      throw new IllegalArgumentException("an initializer needs a name");
    }
    produce(n, tensor.getDataType(), toArray(tensor.getDimsList()));
    initializers.add(tensor);
    return n;
  }

  /** Adds an initializer of values uniform in [-bound, bound) from the seeded stream of its name. */
  public String randomInitializer(String name, int elemType, long[] dims, double bound) {
    float[] data = values.uniform(name, count(dims), -bound, bound);
    return initializer(name, elemType, dims, data);
  }

  /** Adds a node; its name is derived from the op type. Empty output names are optional outputs. */
  public GraphBuilder node(
      String opType, String[] inputs, String[] outputs, Onnx.AttributeProto... attributes) {
    addNode(opType, opType, inputs, outputs, attributes);
    return this;
  }

  /**
   * Adds a node with one output named {@code fresh(lower-case opType)} and returns that name. The
   * output's type is not tracked; {@link #declare} it if a helper or {@link #output(String)} needs it.
   */
  public String op(String opType, String[] inputs, Onnx.AttributeProto... attributes) {
    String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
    addNode(out, opType, inputs, new String[] {out}, attributes);
    return out;
  }

  /** A Constant node whose output {@code name} holds {@code tensor}; returns the name. */
  public String constant(String name, Onnx.TensorProto tensor) {
    usedNames.add(name);
    addNode(name, "Constant", new String[0], new String[] {name}, Attr.t("value", tensor));
    types.put(name, new ValueType(tensor.getDataType(), toArray(tensor.getDimsList())));
    return name;
  }

  /** Records the element type and shape of a value made by {@link #node}, for the helpers. */
  public GraphBuilder declare(String name, int elemType, long... dims) {
    types.put(name, new ValueType(elemType, dims.clone()));
    return this;
  }

  /** The tracked shape of a value (-1 for symbolic dims). */
  public long[] shapeOf(String name) {
    return type(name).dims().clone();
  }

  /** The tracked element type of a value. */
  public int elemTypeOf(String name) {
    return type(name).elemType();
  }

  /**
   * Renames a value everywhere it appears so far (nodes, inputs, initializers, outputs), e.g. to give
   * a helper's output the graph output's name; returns the new name.
   */
  public String rename(String from, String to) {
    if (!produced.contains(from)) {
      throw new IllegalArgumentException("no value '" + from + "' to rename");
    }
    if (usedNames.contains(to) || produced.contains(to)) {
      throw new IllegalArgumentException("name '" + to + "' is already used");
    }
    for (int i = 0; i < nodes.size(); i++) {
      Onnx.NodeProto.Builder b = nodes.get(i).toBuilder();
      boolean changed = replaceAll(List.copyOf(b.getInputList()), from, to, b::setInput);
      changed |= replaceAll(List.copyOf(b.getOutputList()), from, to, b::setOutput);
      if (changed) {
        nodes.set(i, b.build());
      }
    }
    renameInfos(inputs, from, to);
    renameInfos(outputs, from, to);
    for (int i = 0; i < initializers.size(); i++) {
      if (initializers.get(i).getName().equals(from)) {
        initializers.set(i, initializers.get(i).toBuilder().setName(to).build());
      }
    }
    ValueType t = types.remove(from);
    if (t != null) {
      types.put(to, t);
    }
    produced.remove(from);
    produced.add(to);
    usedNames.add(to);
    return to;
  }

  // ---- layers ----

  /**
   * A Conv over [N, C, spatial...] with a square (cubic...) kernel, symmetric padding and the given
   * group count; weight [outC, C/group, k...] and optional bias [outC]. Returns the output name.
   */
  public String conv(String x, int outC, int kernel, int stride, int pad, int group, boolean bias) {
    ConvParts p = convParts(x, outC, kernel, group);
    String base = fresh("conv");
    String w = base + ".weight";
    float[] weight = values.uniform(w, count(p.weightDims), -p.bound, p.bound);
    float[] b = bias ? values.uniform(base + ".bias", outC, -p.bound, p.bound) : null;
    return emitConv(base, x, p, weight, b, kernel, stride, pad, group);
  }

  /**
   * A Conv (no bias) followed by BatchNormalization, or when {@code fold} is set the same pair folded
   * into one Conv with bias, as PyTorch's eval-mode ONNX export writes it. With the same seed and
   * names both forms compute the same function (up to float rounding).
   */
  public String convBn(
      String x, int outC, int kernel, int stride, int pad, int group, boolean fold) {
    if (!fold) {
      return batchNorm(conv(x, outC, kernel, stride, pad, group, false));
    }
    ConvParts p = convParts(x, outC, kernel, group);
    String base = fresh("conv");
    String bn = fresh("bn"); // reserved so that names, and hence drawn values, match the unfolded form
    float[] weight = values.uniform(base + ".weight", count(p.weightDims), -p.bound, p.bound);
    BnParams s = bnParams(bn, outC);
    float[] bias = new float[outC];
    int perChannel = weight.length / outC;
    for (int c = 0; c < outC; c++) {
      double k = s.scale[c] / Math.sqrt((double) s.var[c] + BN_EPSILON);
      for (int j = c * perChannel, end = j + perChannel; j < end; j++) {
        weight[j] = (float) (weight[j] * k);
      }
      bias[c] = (float) (s.bias[c] - s.mean[c] * k);
    }
    return emitConv(base, x, p, weight, bias, kernel, stride, pad, group);
  }

  /** BatchNormalization (inference form) over channel axis 1. Returns the output name. */
  public String batchNorm(String x) {
    ValueType t = type(x);
    if (t.dims().length < 2 || t.dims()[1] < 0) {
      throw new IllegalArgumentException("batchNorm needs a known channel dim: " + describe(x));
    }
    int c = Math.toIntExact(t.dims()[1]);
    String base = fresh("bn");
    BnParams s = bnParams(base, c);
    long[] dims = {c};
    String[] in = {
      x,
      initializer(base + ".weight", t.elemType(), dims, s.scale),
      initializer(base + ".bias", t.elemType(), dims, s.bias),
      initializer(base + ".running_mean", t.elemType(), dims, s.mean),
      initializer(base + ".running_var", t.elemType(), dims, s.var)
    };
    addNode(base, "BatchNormalization", in, new String[] {base}, Attr.f("epsilon", BN_EPSILON));
    types.put(base, t);
    return base;
  }

  /** Relu. */
  public String relu(String x) {
    return unary("Relu", "relu", x, type(x));
  }

  /** Elementwise Add with broadcasting. */
  public String add(String a, String b) {
    ValueType ta = type(a);
    ValueType result = new ValueType(ta.elemType(), Shapes.broadcast(ta.dims(), type(b).dims()));
    String base = fresh("add");
    addNode(base, "Add", new String[] {a, b}, new String[] {base});
    types.put(base, result);
    return base;
  }

  /** A fully connected Gemm with bias: x [N, K] to [N, out]. */
  public String gemm(String x, int out, boolean transB) {
    return gemm(x, out, transB, true);
  }

  /**
   * A fully connected Gemm: x [N, K] to [N, out]; the weight is [out, K] when {@code transB}
   * (PyTorch's Linear export) else [K, out]; optional bias C [out].
   */
  public String gemm(String x, int out, boolean transB, boolean bias) {
    ValueType t = type(x);
    if (t.dims().length != 2 || t.dims()[1] < 0) {
      throw new IllegalArgumentException("gemm needs x [N, K] with known K: " + describe(x));
    }
    long k = t.dims()[1];
    double bound = 1 / Math.sqrt(k);
    String base = fresh("gemm");
    long[] wDims = transB ? new long[] {out, k} : new long[] {k, out};
    List<String> in = new ArrayList<>(List.of(x,
        randomInitializer(base + ".weight", t.elemType(), wDims, bound)));
    if (bias) {
      in.add(randomInitializer(base + ".bias", t.elemType(), new long[] {out}, bound));
    }
    addNode(base, "Gemm", in.toArray(String[]::new), new String[] {base},
        Attr.f("alpha", 1f), Attr.f("beta", 1f), Attr.i("transB", transB ? 1 : 0));
    types.put(base, new ValueType(t.elemType(), new long[] {t.dims()[0], out}));
    return base;
  }

  /** MatMul of x [..., K] by a constant weight [K, out]; returns [..., out]. */
  public String matMul(String x, int out) {
    ValueType t = type(x);
    int r = t.dims().length;
    if (r < 1 || t.dims()[r - 1] < 0) {
      throw new IllegalArgumentException("matMul needs x [..., K] with known K: " + describe(x));
    }
    long k = t.dims()[r - 1];
    String base = fresh("matmul");
    String w = randomInitializer(base + ".weight", t.elemType(), new long[] {k, out},
        1 / Math.sqrt(k));
    addNode(base, "MatMul", new String[] {x, w}, new String[] {base});
    long[] dims = t.dims().clone();
    dims[r - 1] = out;
    types.put(base, new ValueType(t.elemType(), dims));
    return base;
  }

  /** GlobalAveragePool: [N, C, spatial...] to [N, C, 1...]. */
  public String globalAveragePool(String x) {
    ValueType t = type(x);
    long[] dims = t.dims().clone();
    Arrays.fill(dims, 2, dims.length, 1L);
    return unary("GlobalAveragePool", "gap", x, new ValueType(t.elemType(), dims));
  }

  /** Flatten at axis 1: [N, ...] to [N, prod(...)]. */
  public String flatten(String x) {
    ValueType t = type(x);
    String base = fresh("flatten");
    addNode(base, "Flatten", new String[] {x}, new String[] {base}, Attr.i("axis", 1));
    types.put(base, new ValueType(t.elemType(), Shapes.flatten(t.dims(), 1)));
    return base;
  }

  /** MaxPool with a square window, stride and symmetric padding. */
  public String maxPool(String x, int kernel, int stride, int pad) {
    ValueType t = type(x);
    int spatial = t.dims().length - 2;
    String base = fresh("maxpool");
    addNode(base, "MaxPool", new String[] {x}, new String[] {base},
        Attr.ints("kernel_shape", repeat(kernel, spatial)),
        Attr.ints("pads", repeat(pad, 2 * spatial)),
        Attr.ints("strides", repeat(stride, spatial)));
    types.put(base, new ValueType(t.elemType(),
        Shapes.window(t.dims(), t.dims()[1], kernel, stride, pad)));
    return base;
  }

  /** The graph as built so far. */
  public Onnx.GraphProto build() {
    return Onnx.GraphProto.newBuilder()
        .setName(name)
        .addAllNode(nodes)
        .addAllInitializer(initializers)
        .addAllInput(inputs)
        .addAllOutput(outputs)
        .build();
  }

  // ---- internals ----

  private record ConvParts(int elemType, long[] inDims, long[] weightDims, double bound) {}

  private record BnParams(float[] scale, float[] bias, float[] mean, float[] var) {}

  private ConvParts convParts(String x, int outC, int kernel, int group) {
    ValueType t = type(x);
    long[] d = t.dims();
    if (d.length < 3 || d[1] < 0) {
      throw new IllegalArgumentException(
          "conv needs x [N, C, spatial...] with known C: " + describe(x));
    }
    if (group < 1 || d[1] % group != 0 || outC % group != 0) {
      throw new IllegalArgumentException("group " + group + " must divide in channels " + d[1]
          + " and out channels " + outC);
    }
    int spatial = d.length - 2;
    long[] w = new long[d.length];
    w[0] = outC;
    w[1] = d[1] / group;
    Arrays.fill(w, 2, w.length, kernel);
    long fanIn = w[1] * (long) Math.pow(kernel, spatial);
    return new ConvParts(t.elemType(), d, w, 1 / Math.sqrt(fanIn));
  }

  private String emitConv(String base, String x, ConvParts p, float[] weight, float[] bias,
      int kernel, int stride, int pad, int group) {
    int spatial = p.inDims.length - 2;
    List<String> in = new ArrayList<>(List.of(x,
        initializer(base + ".weight", p.elemType, p.weightDims, weight)));
    if (bias != null) {
      in.add(initializer(base + ".bias", p.elemType, new long[] {bias.length}, bias));
    }
    addNode(base, "Conv", in.toArray(String[]::new), new String[] {base},
        Attr.ints("dilations", repeat(1, spatial)),
        Attr.i("group", group),
        Attr.ints("kernel_shape", repeat(kernel, spatial)),
        Attr.ints("pads", repeat(pad, 2 * spatial)),
        Attr.ints("strides", repeat(stride, spatial)));
    types.put(base, new ValueType(p.elemType,
        Shapes.window(p.inDims, p.weightDims[0], kernel, stride, pad)));
    return base;
  }

  private BnParams bnParams(String base, int c) {
    return new BnParams(
        values.uniform(base + ".weight", c, 0.5, 1.5),
        values.uniform(base + ".bias", c, -0.1, 0.1),
        values.uniform(base + ".running_mean", c, -0.1, 0.1),
        values.uniform(base + ".running_var", c, 0.5, 1.5));
  }

  private String unary(String opType, String prefix, String x, ValueType result) {
    String base = fresh(prefix);
    addNode(base, opType, new String[] {x}, new String[] {base});
    types.put(base, result);
    return base;
  }

  private void addNode(String preferredName, String opType, String[] in, String[] out,
      Onnx.AttributeProto... attributes) {
    String nodeName = preferredName;
    for (int k = 1; nodeNames.contains(nodeName); k++) {
      nodeName = preferredName + "_" + k;
    }
    for (String o : out) {
      if (!o.isEmpty()) {
        if (!produced.add(o)) {
          throw new IllegalArgumentException("value '" + o + "' is already produced");
        }
        usedNames.add(o);
      }
    }
    nodeNames.add(nodeName);
    nodes.add(Onnx.NodeProto.newBuilder()
        .setName(nodeName)
        .setOpType(opType)
        .addAllInput(Arrays.asList(in))
        .addAllOutput(Arrays.asList(out))
        .addAllAttribute(Arrays.asList(attributes))
        .build());
  }

  private void produce(String name, int elemType, long[] dims) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a value needs a name");
    }
    if (!produced.add(name)) {
      throw new IllegalArgumentException("value '" + name + "' is already produced");
    }
    usedNames.add(name);
    types.put(name, new ValueType(elemType, dims.clone()));
  }

  private Onnx.ValueInfoProto valueInfo(String name, int elemType, long[] dims) {
    Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
    int symbolic = 0;
    for (long d : dims) {
      Onnx.TensorShapeProto.Dimension.Builder dim = shape.addDimBuilder();
      if (d >= 0) {
        dim.setDimValue(d);
      } else if (symbolic < dimParams.size()) {
        dim.setDimParam(dimParams.get(symbolic++));
      }
    }
    return Onnx.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(Onnx.TypeProto.newBuilder().setTensorType(
            Onnx.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  private ValueType type(String name) {
    ValueType t = types.get(name);
    if (t == null) {
      throw new IllegalArgumentException("the type of '" + name
          + "' is not known to the builder; declare() it after adding its node");
    }
    return t;
  }

  private String describe(String x) {
    ValueType t = types.get(x);
    return "'" + x + "' " + (t == null ? "(unknown)" : Arrays.toString(t.dims()));
  }

  private static void renameInfos(List<Onnx.ValueInfoProto> infos, String from, String to) {
    for (int i = 0; i < infos.size(); i++) {
      if (infos.get(i).getName().equals(from)) {
        infos.set(i, infos.get(i).toBuilder().setName(to).build());
      }
    }
  }

  private interface Setter {
    void set(int index, String value);
  }

  private static boolean replaceAll(List<String> names, String from, String to, Setter setter) {
    boolean changed = false;
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(from)) {
        setter.set(i, to);
        changed = true;
      }
    }
    return changed;
  }

  private static int count(long[] dims) {
    return Math.toIntExact(Tensors.elementCount(dims));
  }

  private static long[] toArray(List<Long> dims) {
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] repeat(long value, int n) {
    long[] a = new long[n];
    Arrays.fill(a, value);
    return a;
  }
}
