package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends nodes and constants to the training-step graph under fresh names, and knows the dims of
 * what it emits (it shares the {@link ShapeInference} of the forward graph). Its helpers write each
 * computation the way ONNX Runtime's CPU kernels run it fastest: static shapes as constants when
 * known, Shape-op based computations only when not, no copies that a Reshape can avoid.
 */
final class Emitter {
  private final ShapeInference shapes;
  private final int floatType;
  private final Set<String> used = new HashSet<>();
  private final List<Onnx.NodeProto> nodes = new ArrayList<>();
  private final List<Onnx.TensorProto> constants = new ArrayList<>();
  private final Map<String, String> constantCache = new HashMap<>();
  private String scope = "bw";

  Emitter(ShapeInference shapes, int floatType, Set<String> reserved) {
    this.shapes = shapes;
    this.floatType = floatType;
    used.addAll(reserved);
  }

  ShapeInference shapes() {
    return shapes;
  }

  int opset() {
    return shapes.opset();
  }

  /** The float element type of the step graph's computations. */
  int floatType() {
    return floatType;
  }

  List<Onnx.NodeProto> nodes() {
    return nodes;
  }

  List<Onnx.TensorProto> constants() {
    return constants;
  }

  /** Prefix of the fresh names made from now on. */
  void scope(String s) {
    scope = s;
  }

  /** Reserves a name (for example a contract name) so that fresh names avoid it. */
  void reserve(String name) {
    used.add(name);
  }

  String fresh(String hint) {
    String base = scope.isEmpty() ? hint : scope + "/" + hint;
    String candidate = base;
    for (int k = 1; used.contains(candidate); k++) {
      candidate = base + "_" + k;
    }
    used.add(candidate);
    return candidate;
  }

  // ---- nodes ----

  /** Adds a node with fresh output names; returns them. */
  String[] nodeN(String op, String[] inputs, int outputs, Onnx.AttributeProto... attrs) {
    String[] outs = new String[outputs];
    for (int k = 0; k < outputs; k++) {
      outs[k] = fresh(op.toLowerCase(java.util.Locale.ROOT));
    }
    add(op, inputs, outs, attrs);
    return outs;
  }

  /** Adds a node with one fresh output; returns its name. */
  String node(String op, String[] inputs, Onnx.AttributeProto... attrs) {
    return nodeN(op, inputs, 1, attrs)[0];
  }

  /** Adds a node with the given outputs; infers their types and dims. */
  void add(String op, String[] inputs, String[] outputs, Onnx.AttributeProto... attrs) {
    Onnx.NodeProto n = Onnx.NodeProto.newBuilder()
        .setName(fresh(op))
        .setOpType(op)
        .addAllInput(Arrays.asList(inputs))
        .addAllOutput(Arrays.asList(outputs))
        .addAllAttribute(Arrays.asList(attrs))
        .build();
    addNode(n);
  }

  /** Adds a ready-made node and infers its outputs. */
  void addNode(Onnx.NodeProto n) {
    for (String o : n.getOutputList()) {
      used.add(o);
    }
    used.add(n.getName());
    nodes.add(n);
    shapes.node(n);
  }

  /** Records dims known by construction (overrides what inference found). */
  String declare(String name, int elemType, long[] dims) {
    shapes.set(name, elemType, dims);
    return name;
  }

  long[] dims(String name) {
    return shapes.dims(name);
  }

  int type(String name) {
    return shapes.type(name);
  }

  /** Dims whose rank must be known. */
  long[] rankedDims(String name) {
    long[] d = dims(name);
    if (d == null) {
      throw new TrainGraphException("the rank of '" + name + "' is not known");
    }
    return d;
  }

  // ---- constants ----

  /** A scalar constant of the step graph's float type. */
  String scalar(double v) {
    return scalar(v, floatType);
  }

  String scalar(double v, int type) {
    String key = "s" + type + ":" + Double.doubleToLongBits(v);
    return constantCache.computeIfAbsent(key, k -> {
      String name = fresh("c");
      constants.add(Tensors.of(name, type, new long[0], new double[] {v}));
      shapes.initializer(constants.get(constants.size() - 1));
      return name;
    });
  }

  /** A 1-D int64 constant. */
  String ints(long... v) {
    String key = "i" + Arrays.toString(v);
    return constantCache.computeIfAbsent(key, k -> {
      String name = fresh("c");
      constants.add(Tensors.int64Vector(name, v));
      shapes.initializer(constants.get(constants.size() - 1));
      return name;
    });
  }

  /** A scalar int64 constant. */
  String intScalar(long v) {
    String key = "is" + v;
    return constantCache.computeIfAbsent(key, k -> {
      String name = fresh("c");
      constants.add(Tensors.int64(name, new long[0], new long[] {v}));
      shapes.initializer(constants.get(constants.size() - 1));
      return name;
    });
  }

  /** A constant made once per key (for example the same fixed kernel used by several nodes). */
  String cached(String key, java.util.function.Supplier<String> make) {
    String k = "k:" + key;
    String have = constantCache.get(k);
    if (have == null) {
      have = make.get();
      constantCache.put(k, have);
    }
    return have;
  }

  /** A float constant of any shape (for small tensors: kernels, masks). */
  String tensor(long[] dims, double[] values) {
    return tensorOf(floatType, dims, values);
  }

  /** A constant of the given element type and any shape. */
  String tensorOf(int type, long[] dims, double[] values) {
    String name = fresh("c");
    constants.add(Tensors.of(name, type, dims, values));
    shapes.initializer(constants.get(constants.size() - 1));
    return name;
  }

  // ---- elementwise ----

  String add(String a, String b) {
    return node("Add", new String[] {a, b});
  }

  String sub(String a, String b) {
    return node("Sub", new String[] {a, b});
  }

  String mul(String a, String b) {
    return node("Mul", new String[] {a, b});
  }

  String div(String a, String b) {
    return node("Div", new String[] {a, b});
  }

  String neg(String a) {
    return node("Neg", new String[] {a});
  }

  String mulScalar(String a, double v) {
    return v == 1 ? a : v == -1 ? neg(a) : mul(a, scalar(v, typeOr(a)));
  }

  /** The element type of a value, or the step graph's float type when not known. */
  int typeOr(String a) {
    int t = shapes.type(a);
    return t == 0 ? floatType : t;
  }

  String unary(String op, String a) {
    return node(op, new String[] {a});
  }

  String matMul(String a, String b) {
    return node("MatMul", new String[] {a, b});
  }

  // ---- shapes ----

  /** Transpose; returns the input itself for the identity permutation. */
  String transpose(String x, long... perm) {
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      identity &= perm[i] == i;
    }
    return identity ? x : node("Transpose", new String[] {x}, Attr.ints("perm", perm));
  }

  /** Swaps the last two axes of a tensor of the given rank. */
  String transposeLast2(String x, int rank) {
    long[] perm = Dims.range(0, rank);
    perm[rank - 1] = rank - 2;
    perm[rank - 2] = rank - 1;
    return transpose(x, perm);
  }

  /** Reshape to constant dims (entries may be -1 or 0 with ONNX's meaning). */
  String reshape(String x, long... dims) {
    for (long v : dims) {
      if (v < -1) {
        throw new IllegalStateException("a symbolic dim in a constant Reshape target of '" + x
            + "': " + Dims.toString(dims));
      }
    }
    long[] d = dims(x);
    if (d != null && Arrays.equals(d, dims)) {
      return x;
    }
    return node("Reshape", new String[] {x, ints(dims)});
  }

  /** Reshape to the shape of {@code like}: a constant when known, else Shape(like). */
  String reshapeLike(String x, String like) {
    long[] target = dims(like);
    long[] d = dims(x);
    if (target != null && d != null && Arrays.equals(d, target)) {
      return x;
    }
    String out = node("Reshape", new String[] {x, shapeOf(like)});
    shapes.set(out, shapes.type(x), target);
    return out;
  }

  /** The shape of a value as an int64 tensor: a constant when static, else a Shape node. */
  String shapeOf(String x) {
    long[] d = dims(x);
    if (Dims.isStatic(d)) {
      return ints(d);
    }
    return node("Shape", new String[] {x});
  }

  String unsqueeze(String x, long... axes) {
    return node("Unsqueeze", new String[] {x, ints(axes)});
  }

  String squeeze(String x, long... axes) {
    return node("Squeeze", new String[] {x, ints(axes)});
  }

  /** Zeros of the shape of {@code like}, in the float type of {@code like}. */
  String zerosLike(String like) {
    int type = shapes.type(like) == 0 ? floatType : shapes.type(like);
    String out = node("ConstantOfShape", new String[] {shapeOf(like)},
        Attr.t("value", Tensors.of(null, type, new long[] {1}, new double[] {0})));
    shapes.set(out, type, dims(like));
    return out;
  }

  /** Zeros of a static shape. */
  String zeros(long[] dims, int type) {
    return node("ConstantOfShape", new String[] {ints(dims)},
        Attr.t("value", Tensors.of(null, type, new long[] {1}, new double[] {0})));
  }

  /** Expand to the shape of {@code like}. */
  String expandLike(String x, String like) {
    long[] target = dims(like);
    if (target != null && Arrays.equals(dims(x), target)) {
      return x;
    }
    String out = node("Expand", new String[] {x, shapeOf(like)});
    shapes.set(out, shapes.type(x), target);
    return out;
  }

  // ---- reductions ----

  /** ReduceSum over the given (normalized) axes; returns x itself for no axes. */
  String reduceSum(String x, long[] axes, boolean keepDims) {
    if (axes.length == 0) {
      return x;
    }
    return node("ReduceSum", new String[] {x, ints(axes)}, Attr.i("keepdims", keepDims ? 1 : 0));
  }

  /** ReduceSum over every axis to a scalar. */
  String reduceSumAll(String x) {
    return node("ReduceSum", new String[] {x}, Attr.i("keepdims", 0));
  }

  /** ReduceMean (axes as attribute before opset 18, as input from 18). */
  String reduceMean(String x, long[] axes, boolean keepDims) {
    if (opset() >= 18) {
      return node("ReduceMean", new String[] {x, ints(axes)}, Attr.i("keepdims", keepDims ? 1 : 0));
    }
    return node("ReduceMean", new String[] {x}, Attr.ints("axes", axes),
        Attr.i("keepdims", keepDims ? 1 : 0));
  }

  /** ReduceMean over every axis to a scalar. */
  String reduceMeanAll(String x) {
    return node("ReduceMean", new String[] {x}, Attr.i("keepdims", 0));
  }

  /**
   * Sums a gradient {@code g} (the shape of a broadcast result) back to the shape of {@code target}
   * (one of the broadcast inputs): ReduceSum over the broadcast axes, Reshape when ranks differ.
   * Decided statically when the dims allow it; otherwise computed with Shape, Equal and NonZero.
   */
  String sumToShape(String g, String target) {
    long[] gd = dims(g);
    long[] td = dims(target);
    if (gd != null && td != null && Arrays.equals(gd, td)) {
      return g;
    }
    if (gd != null && td != null && td.length <= gd.length) {
      int lead = gd.length - td.length;
      List<Long> axes = new ArrayList<>();
      boolean decided = true;
      for (int i = 0; i < gd.length; i++) {
        if (i < lead) {
          axes.add((long) i);
          continue;
        }
        long t = td[i - lead];
        long s = gd[i];
        if (t == s) {
          continue;
        }
        if (t == 1) {
          axes.add((long) i);
        } else if (t >= 0 && s < 0) {
          continue; // s must equal t for the forward broadcast to hold
        } else if (s == 1 && t < 0) {
          continue; // t must be 1
        } else {
          decided = false;
          break;
        }
      }
      if (decided) {
        String r = reduceSum(g, axes.stream().mapToLong(Long::longValue).toArray(), true);
        if (lead > 0) {
          r = Dims.isStatic(td) ? reshape(r, td) : reshapeLike(r, target);
        }
        shapes.set(r, shapes.type(g), td);
        return r;
      }
    }
    // dynamic: reduce where Shape(g) differs from Shape(target) left-padded with ones
    String sg = node("Shape", new String[] {g});
    String st = node("Shape", new String[] {target});
    String padded;
    if (gd != null && td != null) {
      int lead = gd.length - td.length;
      padded = lead > 0 ? node("Concat", new String[] {ints(Dims.ones(lead)), st},
          Attr.i("axis", 0)) : st;
    } else {
      // rank difference at run time: ones of length rank(g) - rank(target), then Shape(target)
      String rg = node("Size", new String[] {sg});
      String rt = node("Size", new String[] {st});
      String lead = unsqueeze(sub(rg, rt), 0);
      String ones = node("ConstantOfShape", new String[] {lead},
          Attr.t("value", Tensors.int64(null, new long[] {1}, new long[] {1})));
      padded = node("Concat", new String[] {ones, st}, Attr.i("axis", 0));
    }
    String differ = node("Not", new String[] {node("Equal", new String[] {sg, padded})});
    String axes = reshape(node("NonZero", new String[] {differ}), -1);
    String r = node("ReduceSum", new String[] {g, axes}, Attr.i("keepdims", 1),
        Attr.i("noop_with_empty_axes", 1));
    String out = node("Reshape", new String[] {r, st});
    shapes.set(out, shapes.type(g), td);
    return out;
  }

  /** Number of elements of {@code x} as a scalar of the float type: a constant when static. */
  String elementCount(String x, long[] over) {
    long[] d = dims(x);
    if (d != null) {
      long n = 1;
      boolean known = true;
      for (long a : over) {
        long v = d[(int) a];
        if (v < 0) {
          known = false;
          break;
        }
        n *= v;
      }
      if (known) {
        return scalar(n);
      }
    }
    String shape = node("Shape", new String[] {x});
    String picked = node("Gather", new String[] {shape, ints(over)}, Attr.i("axis", 0));
    String prod = node("ReduceProd", new String[] {picked}, Attr.i("keepdims", 0));
    return node("Cast", new String[] {prod}, Attr.i("to", floatType));
  }

  /** Gradient accumulation: Sum of several contributions. */
  String sum(List<String> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    String out = node("Sum", parts.toArray(String[]::new));
    return out;
  }

  static String typeName(int type) {
    DataType t = DataType.forNumber(type);
    return t == null ? "type " + type : t.name();
  }
}
