package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Element types, dims and small constant values of the values of one graph, inferred op by op for the
 * ops the training-step builder supports and the shape subgraphs exporters write around them
 * (Shape, Gather, Concat, Unsqueeze, ... on int64). Symbolic dims are tracked as symbols (see
 * {@link Dims}) so that two tensors of the same unknown batch size are known to match. What this
 * class cannot infer stays unknown and the builder falls back to Shape-op based computations.
 */
final class ShapeInference {
  /** Int tensors up to this many elements have their values tracked. */
  private static final int MAX_TRACKED = 4096;

  private final Map<String, TensorInfo> infos = new HashMap<>();
  private final Map<String, long[]> ints = new HashMap<>();
  private final Map<String, double[]> floats = new HashMap<>();
  private final Map<String, Long> symbols = new HashMap<>();
  private final Map<String, Onnx.ValueInfoProto> hints = new HashMap<>();
  private long nextSymbol = Dims.SYMBOL_BASE;
  private final int opset;

  ShapeInference(int opset) {
    this.opset = opset;
  }

  int opset() {
    return opset;
  }

  // ---- declarations ----

  /** A fresh symbol: a size nothing else is known to equal. */
  long fresh() {
    return nextSymbol--;
  }

  /** The symbol of a named dim_param (the same for every use of the name). */
  long symbol(String param) {
    return symbols.computeIfAbsent(param, p -> fresh());
  }

  /** The dim_param name of each named symbol. */
  Map<Long, String> symbolNames() {
    Map<Long, String> out = new HashMap<>();
    symbols.forEach((k, v) -> out.put(v, k));
    return out;
  }

  /** Value infos to fall back on for the outputs of ops this class does not know. */
  void hint(Onnx.ValueInfoProto vi) {
    hints.put(vi.getName(), vi);
  }

  void input(Onnx.ValueInfoProto vi) {
    set(vi.getName(), fromValueInfo(vi));
  }

  TensorInfo fromValueInfo(Onnx.ValueInfoProto vi) {
    if (!vi.getType().hasTensorType()) {
      return TensorInfo.UNKNOWN;
    }
    Onnx.TypeProto.Tensor t = vi.getType().getTensorType();
    if (!t.hasShape()) {
      return new TensorInfo(t.getElemType(), null);
    }
    long[] dims = new long[t.getShape().getDimCount()];
    for (int i = 0; i < dims.length; i++) {
      Onnx.TensorShapeProto.Dimension d = t.getShape().getDim(i);
      if (d.hasDimValue() && d.getDimValue() >= 0) {
        dims[i] = d.getDimValue();
      } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
        dims[i] = symbol(d.getDimParam());
      } else {
        dims[i] = fresh();
      }
    }
    return new TensorInfo(t.getElemType(), dims);
  }

  void initializer(Onnx.TensorProto t) {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    set(t.getName(), new TensorInfo(t.getDataType(), dims));
    constantValues(t.getName(), t);
  }

  void set(String name, TensorInfo info) {
    if (!name.isEmpty()) {
      infos.put(name, info);
    }
  }

  void set(String name, int elemType, long[] dims) {
    set(name, new TensorInfo(elemType, dims));
  }

  // ---- queries ----

  TensorInfo info(String name) {
    return infos.getOrDefault(name, TensorInfo.UNKNOWN);
  }

  long[] dims(String name) {
    return info(name).dims();
  }

  int type(String name) {
    return info(name).elemType();
  }

  boolean known(String name) {
    return infos.containsKey(name);
  }

  /** The values of a small int tensor (entries may be symbols for sizes read by Shape), or null. */
  long[] ints(String name) {
    return ints.get(name);
  }

  /** The values of a small constant float tensor, or null. */
  double[] floats(String name) {
    return floats.get(name);
  }

  /** Int values with no symbols, or null. */
  long[] staticInts(String name) {
    long[] v = ints.get(name);
    if (v == null) {
      return null;
    }
    for (long x : v) {
      if (Dims.isSymbol(x)) {
        return null;
      }
    }
    return v;
  }

  // ---- inference ----

  /** Infers the outputs of one node from what is known of its inputs. */
  void node(Onnx.NodeProto n) {
    String domain = n.getDomain();
    if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
      unknown(n);
      return;
    }
    try {
      infer(n);
    } catch (IllegalArgumentException | ArithmeticException | ArrayIndexOutOfBoundsException e) {
      unknown(n);
    }
    for (String out : n.getOutputList()) {
      if (!out.isEmpty() && !infos.containsKey(out)) {
        fallback(out);
      }
    }
    fold(n);
  }

  private void unknown(Onnx.NodeProto n) {
    for (String out : n.getOutputList()) {
      fallback(out);
    }
  }

  private void fallback(String out) {
    if (out.isEmpty()) {
      return;
    }
    Onnx.ValueInfoProto vi = hints.get(out);
    set(out, vi == null ? TensorInfo.UNKNOWN : fromValueInfo(vi));
  }

  private void infer(Onnx.NodeProto n) {
    String op = n.getOpType();
    String out = NodeAttrs.output(n, 0);
    TensorInfo x = info(NodeAttrs.input(n, 0));
    switch (op) {
      case "Constant" -> {
        Onnx.TensorProto t = NodeAttrs.t(n, "value");
        if (t != null) {
          set(out, t.getDataType(), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
        } else if (NodeAttrs.has(n, "value_float")) {
          set(out, DataType.FLOAT_VALUE, new long[0]);
        } else if (NodeAttrs.has(n, "value_int")) {
          set(out, DataType.INT64_VALUE, new long[0]);
        } else if (NodeAttrs.has(n, "value_floats")) {
          set(out, DataType.FLOAT_VALUE, new long[] {NodeAttrs.find(n, "value_floats").getFloatsCount()});
        } else if (NodeAttrs.has(n, "value_ints")) {
          set(out, DataType.INT64_VALUE, new long[] {NodeAttrs.find(n, "value_ints").getIntsCount()});
        }
      }
      case "Identity", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "Erf", "HardSigmoid",
          "HardSwish", "Softmax", "LogSoftmax", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Abs",
          "Sign", "Floor", "Ceil", "Round", "Elu", "Selu", "Softplus", "Softsign", "Sin", "Cos",
          "Clip", "Trilu", "CumSum", "Mish", "ThresholdedRelu", "Celu", "PRelu" -> set(out, x);
      case "Dropout" -> {
        set(out, x);
        set(NodeAttrs.output(n, 1), DataType.BOOL_VALUE, x.dims());
      }
      case "Not", "IsNaN", "IsInf" -> set(out, DataType.BOOL_VALUE, x.dims());
      case "Cast" -> set(out, (int) NodeAttrs.i(n, "to", 0), x.dims());
      case "CastLike" -> set(out, type(NodeAttrs.input(n, 1)), x.dims());
      case "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean" ->
          set(out, x.elemType(), broadcastInputs(n, 0));
      case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor" ->
          set(out, DataType.BOOL_VALUE, broadcastInputs(n, 0));
      case "Where" -> set(out, type(NodeAttrs.input(n, 1)), broadcastInputs(n, 0));
      case "MatMul" -> set(out, x.elemType(), matMul(x.dims(), dims(n.getInput(1))));
      case "Gemm" -> {
        long[] a = x.dims();
        long[] b = dims(n.getInput(1));
        long m = a == null ? fresh() : NodeAttrs.i(n, "transA", 0) != 0 ? a[1] : a[0];
        long k = b == null ? fresh() : NodeAttrs.i(n, "transB", 0) != 0 ? b[0] : b[1];
        set(out, x.elemType(), new long[] {m, k});
      }
      case "Conv" -> {
        long[] w = dims(n.getInput(1));
        if (x.dims() == null || w == null) {
          set(out, x.elemType(), null);
          return;
        }
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        Windows.Window win = Windows.resolve(n, kernel, Arrays.copyOfRange(x.dims(), 2, x.rank()),
            false);
        set(out, x.elemType(), Dims.concat(new long[] {x.dims()[0], w[0]}, symbolize(win.out())));
      }
      case "ConvTranspose" -> {
        long[] w = dims(n.getInput(1));
        if (x.dims() == null || w == null) {
          set(out, x.elemType(), null);
          return;
        }
        int sp = x.rank() - 2;
        long group = NodeAttrs.i(n, "group", 1);
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        long[] strides = NodeAttrs.ints(n, "strides");
        long[] dil = NodeAttrs.ints(n, "dilations");
        long[] pads = NodeAttrs.ints(n, "pads");
        long[] outPad = NodeAttrs.ints(n, "output_padding");
        long[] shape = NodeAttrs.ints(n, "output_shape");
        long[] o = new long[sp];
        for (int d = 0; d < sp; d++) {
          long in = x.dims()[2 + d];
          if (shape != null && shape.length == sp) {
            o[d] = shape[d];
          } else if (in < 0 || !NodeAttrs.s(n, "auto_pad", "NOTSET").equals("NOTSET")) {
            o[d] = fresh();
          } else {
            long s = strides == null || strides.length == 0 ? 1 : strides[d];
            long dl = dil == null || dil.length == 0 ? 1 : dil[d];
            long p0 = pads == null || pads.length == 0 ? 0 : pads[d];
            long p1 = pads == null || pads.length == 0 ? 0 : pads[d + sp];
            long pad = outPad == null || outPad.length == 0 ? 0 : outPad[d];
            o[d] = s * (in - 1) + pad + (kernel[d] - 1) * dl + 1 - p0 - p1;
          }
        }
        set(out, x.elemType(), Dims.concat(new long[] {x.dims()[0], w[1] * group}, o));
      }
      case "MaxPool", "AveragePool", "LpPool" -> {
        if (x.dims() == null) {
          set(out, x.elemType(), null);
          return;
        }
        long[] kernel = NodeAttrs.ints(n, "kernel_shape");
        Windows.Window win = Windows.resolve(n, kernel, Arrays.copyOfRange(x.dims(), 2, x.rank()),
            NodeAttrs.i(n, "ceil_mode", 0) != 0);
        long[] dims = Dims.concat(new long[] {x.dims()[0], x.dims()[1]}, symbolize(win.out()));
        set(out, x.elemType(), dims);
        set(NodeAttrs.output(n, 1), DataType.INT64_VALUE, dims);
      }
      case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> {
        if (x.dims() == null) {
          set(out, x);
          return;
        }
        long[] dims = x.dims().clone();
        Arrays.fill(dims, 2, dims.length, 1);
        set(out, x.elemType(), dims);
      }
      case "BatchNormalization" -> {
        set(out, x);
        long[] c = x.dims() == null ? null : new long[] {x.dims()[1]};
        for (int k = 1; k < n.getOutputCount(); k++) {
          set(n.getOutput(k), x.elemType(), c);
        }
      }
      case "LayerNormalization" -> {
        set(out, x);
        if (x.dims() != null) {
          int axis = Dims.axis(NodeAttrs.i(n, "axis", -1), x.rank());
          long[] stat = x.dims().clone();
          Arrays.fill(stat, axis, stat.length, 1);
          int stash = (int) NodeAttrs.i(n, "stash_type", DataType.FLOAT_VALUE);
          set(NodeAttrs.output(n, 1), stash, stat);
          set(NodeAttrs.output(n, 2), stash, stat);
        }
      }
      case "Flatten" -> {
        if (x.dims() == null) {
          set(out, x.elemType(), new long[] {fresh(), fresh()});
          return;
        }
        int r = x.rank();
        long a = NodeAttrs.i(n, "axis", 1);
        int axis = (int) (a < 0 ? a + r : a);
        set(out, x.elemType(), new long[] {productDim(x.dims(), 0, axis),
            productDim(x.dims(), axis, r)});
      }
      case "Reshape" -> set(out, x.elemType(), reshape(x.dims(), ints(n.getInput(1)),
          NodeAttrs.i(n, "allowzero", 0) != 0, dims(n.getInput(1))));
      case "Transpose" -> {
        if (x.dims() == null) {
          set(out, x);
          return;
        }
        long[] perm = perm(n, x.rank());
        long[] d = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
          d[i] = x.dims()[(int) perm[i]];
        }
        set(out, x.elemType(), d);
      }
      case "Concat" -> {
        long[] base = null;
        for (String in : n.getInputList()) {
          if (dims(in) != null) {
            base = dims(in).clone();
            break;
          }
        }
        if (base == null) {
          set(out, x.elemType(), null);
          return;
        }
        int axis = Dims.axis(NodeAttrs.i(n, "axis", 0), base.length);
        long total = 0;
        for (String in : n.getInputList()) {
          long[] d = dims(in);
          if (d == null || d[axis] < 0 || total < 0) {
            total = -1;
          } else {
            total += d[axis];
          }
        }
        base[axis] = total < 0 ? fresh() : total;
        set(out, x.elemType(), base);
      }
      case "Split" -> {
        if (x.dims() == null) {
          unknown(n);
          return;
        }
        int axis = Dims.axis(NodeAttrs.i(n, "axis", 0), x.rank());
        long[] sizes = splitSizes(n, x.dims()[axis]);
        for (int k = 0; k < n.getOutputCount(); k++) {
          long[] d = x.dims().clone();
          d[axis] = sizes == null ? fresh() : sizes[k];
          set(n.getOutput(k), x.elemType(), d);
        }
      }
      case "Slice" -> {
        SliceSpec s = SliceSpec.of(this, n);
        set(out, x.elemType(), s == null ? sliceUnknown(x) : s.outDims(this));
      }
      case "Squeeze" -> set(out, x.elemType(), squeeze(n, x.dims()));
      case "Unsqueeze" -> set(out, x.elemType(), unsqueeze(n, x.dims()));
      case "Gather" -> {
        long[] idx = dims(n.getInput(1));
        if (x.dims() == null || idx == null) {
          set(out, x.elemType(), null);
          return;
        }
        int axis = Dims.axis(NodeAttrs.i(n, "axis", 0), x.rank());
        long[] d = Dims.concat(Dims.concat(Arrays.copyOfRange(x.dims(), 0, axis), idx),
            Arrays.copyOfRange(x.dims(), axis + 1, x.rank()));
        set(out, x.elemType(), d);
      }
      case "GatherElements" -> set(out, x.elemType(), dims(n.getInput(1)));
      case "Expand" -> {
        long[] shape = ints(n.getInput(1));
        set(out, x.elemType(), shape == null || x.dims() == null ? null
            : broadcast(x.dims(), shape));
      }
      case "Shape" -> {
        long start = NodeAttrs.i(n, "start", 0);
        long end = NodeAttrs.i(n, "end", Long.MAX_VALUE);
        long len;
        if (x.dims() == null) {
          len = -1;
        } else {
          int r = x.rank();
          long s = clamp(start < 0 ? start + r : start, r);
          long e = clamp(end < 0 ? end + r : end, r);
          len = Math.max(0, e - s);
        }
        set(out, DataType.INT64_VALUE, new long[] {len < 0 ? fresh() : len});
      }
      case "Size" -> set(out, DataType.INT64_VALUE, new long[0]);
      case "ConstantOfShape" -> {
        Onnx.TensorProto v = NodeAttrs.t(n, "value");
        long[] shape = ints(n.getInput(0));
        long[] d = shape;
        if (d == null) {
          long[] sd = dims(n.getInput(0));
          if (sd != null && sd.length == 1 && sd[0] >= 0) {
            d = new long[(int) sd[0]];
            for (int i = 0; i < d.length; i++) {
              d[i] = fresh();
            }
          }
        }
        set(out, v == null ? DataType.FLOAT_VALUE : v.getDataType(), d);
      }
      case "Range" -> set(out, x.elemType(), new long[] {fresh()});
      case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
          "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare" -> {
        ReduceSpec r = ReduceSpec.of(this, n);
        set(out, x.elemType(), r == null ? null : r.outDims(x.dims()));
      }
      case "ArgMax", "ArgMin" -> {
        if (x.dims() == null) {
          set(out, DataType.INT64_VALUE, null);
          return;
        }
        int axis = Dims.axis(NodeAttrs.i(n, "axis", 0), x.rank());
        boolean keep = NodeAttrs.i(n, "keepdims", 1) != 0;
        List<Long> d = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
          if (i != axis) {
            d.add(x.dims()[i]);
          } else if (keep) {
            d.add(1L);
          }
        }
        set(out, DataType.INT64_VALUE, d.stream().mapToLong(Long::longValue).toArray());
      }
      case "Tile" -> {
        long[] rep = ints(n.getInput(1));
        if (x.dims() == null || rep == null) {
          set(out, x.elemType(), null);
          return;
        }
        long[] d = x.dims().clone();
        for (int i = 0; i < d.length; i++) {
          d[i] = d[i] >= 0 && rep[i] >= 0 ? d[i] * rep[i] : rep[i] == 1 ? d[i] : fresh();
        }
        set(out, x.elemType(), d);
      }
      case "LSTM", "GRU", "RNN" -> {
        long hidden = NodeAttrs.i(n, "hidden_size", -1);
        long dirs = NodeAttrs.s(n, "direction", "forward").equals("bidirectional") ? 2 : 1;
        boolean batchFirst = NodeAttrs.i(n, "layout", 0) != 0;
        if (x.dims() == null || x.rank() != 3 || hidden < 0) {
          unknown(n);
          return;
        }
        long seqLen = batchFirst ? x.dims()[1] : x.dims()[0];
        long batch = batchFirst ? x.dims()[0] : x.dims()[1];
        set(out, x.elemType(), batchFirst ? new long[] {batch, seqLen, dirs, hidden}
            : new long[] {seqLen, dirs, batch, hidden});
        long[] state = batchFirst ? new long[] {batch, dirs, hidden}
            : new long[] {dirs, batch, hidden};
        for (int k = 1; k < n.getOutputCount(); k++) {
          set(n.getOutput(k), x.elemType(), state);
        }
      }
      default -> unknown(n);
    }
  }

  // ---- constant folding of small tensors ----

  private void fold(Onnx.NodeProto n) {
    String op = n.getOpType();
    String out = NodeAttrs.output(n, 0);
    if (out.isEmpty()) {
      return;
    }
    String in0 = NodeAttrs.input(n, 0);
    long[] a = ints.get(in0);
    switch (op) {
      case "Constant" -> {
        Onnx.TensorProto t = NodeAttrs.t(n, "value");
        if (t != null) {
          constantValues(out, t);
        } else if (NodeAttrs.has(n, "value_int")) {
          ints.put(out, new long[] {NodeAttrs.i(n, "value_int", 0)});
        } else if (NodeAttrs.has(n, "value_ints")) {
          ints.put(out, NodeAttrs.ints(n, "value_ints"));
        } else if (NodeAttrs.has(n, "value_float")) {
          floats.put(out, new double[] {NodeAttrs.f(n, "value_float", 0)});
        }
      }
      case "Shape" -> {
        long[] d = dims(in0);
        long[] od = dims(out);
        if (d != null && od != null && od.length == 1 && od[0] >= 0) {
          int r = d.length;
          long start = NodeAttrs.i(n, "start", 0);
          long s = clamp(start < 0 ? start + r : start, r);
          ints.put(out, Arrays.copyOfRange(d, (int) s, (int) (s + od[0])));
        }
      }
      case "Size" -> {
        long[] d = dims(in0);
        if (Dims.isStatic(d)) {
          ints.put(out, new long[] {Dims.product(d)});
        }
      }
      case "Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten" -> {
        if (a != null) {
          ints.put(out, a);
        }
        double[] f = floats.get(in0);
        if (f != null) {
          floats.put(out, f);
        }
      }
      case "Cast" -> {
        int to = (int) NodeAttrs.i(n, "to", 0);
        double[] f = floats.get(in0);
        if (isIntType(to)) {
          if (a != null) {
            ints.put(out, a);
          } else if (f != null) {
            long[] v = new long[f.length];
            for (int i = 0; i < v.length; i++) {
              v[i] = (long) f[i];
            }
            ints.put(out, v);
          }
        } else if (TensorInfo.isFloatType(to)) {
          if (f != null) {
            floats.put(out, f);
          } else if (a != null && staticInts(in0) != null) {
            floats.put(out, Arrays.stream(a).asDoubleStream().toArray());
          }
        }
      }
      case "Neg" -> {
        double[] f = floats.get(in0);
        if (f != null) {
          floats.put(out, Arrays.stream(f).map(v -> -v).toArray());
        }
      }
      case "Gather" -> {
        long[] idx = ints.get(NodeAttrs.input(n, 1));
        long[] d = dims(in0);
        if (a != null && idx != null && d != null && d.length == 1
            && NodeAttrs.i(n, "axis", 0) == 0) {
          long[] v = new long[idx.length];
          for (int i = 0; i < idx.length; i++) {
            long k = idx[i] < 0 ? idx[i] + a.length : idx[i];
            if (k < 0 || k >= a.length) {
              return;
            }
            v[i] = a[(int) k];
          }
          ints.put(out, v);
        }
      }
      case "Concat" -> {
        long[] all = new long[0];
        for (String in : n.getInputList()) {
          long[] v = ints.get(in);
          if (v == null) {
            return;
          }
          all = Dims.concat(all, v);
        }
        ints.put(out, all);
      }
      case "Slice" -> {
        long[] d = dims(in0);
        SliceSpec s = SliceSpec.of(this, n);
        if (a != null && d != null && d.length == 1 && s != null) {
          List<Long> v = new ArrayList<>();
          long start = s.start(0);
          for (long k = 0; k < s.count(0); k++) {
            v.add(a[(int) (start + k * s.step(0))]);
          }
          ints.put(out, v.stream().mapToLong(Long::longValue).toArray());
        }
      }
      case "Add", "Sub", "Mul", "Div" -> {
        long[] b = staticInts(NodeAttrs.input(n, 1));
        long[] sa = staticInts(in0);
        if (sa == null || b == null || !isIntType(type(in0))) {
          return;
        }
        int len = Math.max(sa.length, b.length);
        if ((sa.length != len && sa.length != 1) || (b.length != len && b.length != 1)) {
          return;
        }
        long[] v = new long[len];
        for (int i = 0; i < len; i++) {
          long x = sa[sa.length == 1 ? 0 : i];
          long y = b[b.length == 1 ? 0 : i];
          v[i] = switch (op) {
            case "Add" -> x + y;
            case "Sub" -> x - y;
            case "Mul" -> x * y;
            default -> y == 0 ? 0 : Math.floorDiv(x, y);
          };
        }
        ints.put(out, v);
      }
      case "ConstantOfShape" -> {
        long[] shape = staticInts(in0);
        Onnx.TensorProto v = NodeAttrs.t(n, "value");
        if (shape != null && Dims.product(shape) <= MAX_TRACKED) {
          int count = (int) Dims.product(shape);
          if (v == null || TensorInfo.isFloatType(v.getDataType())) {
            double fill = v == null ? 0 : decodeFloats(v)[0];
            double[] f = new double[count];
            Arrays.fill(f, fill);
            floats.put(out, f);
          } else if (isIntType(v.getDataType())) {
            long[] f = new long[count];
            Arrays.fill(f, decodeInts(v)[0]);
            ints.put(out, f);
          }
        }
      }
      default -> { }
    }
  }

  private void constantValues(String name, Onnx.TensorProto t) {
    long count = 1;
    for (long d : t.getDimsList()) {
      count *= d;
    }
    if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL || count > MAX_TRACKED) {
      return;
    }
    if (isIntType(t.getDataType())) {
      long[] v = decodeInts(t);
      if (v != null && v.length == count) {
        ints.put(name, v);
      }
    } else if (TensorInfo.isFloatType(t.getDataType()) && count <= 64) {
      double[] v = decodeFloats(t);
      if (v != null && v.length == count) {
        floats.put(name, v);
      }
    }
  }

  static boolean isIntType(int t) {
    return t == DataType.INT64_VALUE || t == DataType.INT32_VALUE;
  }

  static long[] decodeInts(Onnx.TensorProto t) {
    if (t.getDataType() == DataType.INT64_VALUE) {
      if (t.hasRawData()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 8];
        b.asLongBuffer().get(v);
        return v;
      }
      return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }
    if (t.getDataType() == DataType.INT32_VALUE) {
      if (t.hasRawData()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
          v[i] = b.getInt(4 * i);
        }
        return v;
      }
      return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
    }
    return null;
  }

  static double[] decodeFloats(Onnx.TensorProto t) {
    try {
      return TensorCodec.decode(t);
    } catch (InvalidModelException | RuntimeException e) {
      return null;
    }
  }

  // ---- shape helpers ----

  private long[] symbolize(long[] dims) {
    long[] out = dims.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i] < 0) {
        out[i] = fresh();
      }
    }
    return out;
  }

  private static long clamp(long v, long r) {
    return Math.max(0, Math.min(r, v));
  }

  private long productDim(long[] dims, int from, int to) {
    long p = 1;
    long symbol = 0;
    for (int i = from; i < to; i++) {
      if (dims[i] >= 0) {
        p *= dims[i];
      } else if (symbol == 0) {
        symbol = dims[i];
      } else {
        return fresh();
      }
    }
    if (symbol == 0) {
      return p;
    }
    return p == 1 ? symbol : fresh();
  }

  private long[] broadcastInputs(Onnx.NodeProto n, int from) {
    long[] out = null;
    boolean first = true;
    for (int k = from; k < n.getInputCount(); k++) {
      long[] d = dims(n.getInput(k));
      if (d == null) {
        return null;
      }
      out = first ? d.clone() : broadcast(out, d);
      first = false;
    }
    return out;
  }

  /** Numpy broadcast of two shapes; a symbol against a known size gives the known size. */
  long[] broadcast(long[] a, long[] b) {
    int rank = Math.max(a.length, b.length);
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      int ia = a.length - rank + i;
      int ib = b.length - rank + i;
      long x = ia >= 0 ? a[ia] : 1;
      long y = ib >= 0 ? b[ib] : 1;
      if (x == y || y == 1) {
        out[i] = x;
      } else if (x == 1) {
        out[i] = y;
      } else if (x >= 0 && y >= 0) {
        throw new IllegalArgumentException("shapes " + Dims.toString(a) + " and "
            + Dims.toString(b) + " do not broadcast");
      } else if (x >= 0) {
        out[i] = x;
      } else if (y >= 0) {
        out[i] = y;
      } else {
        out[i] = fresh();
      }
    }
    return out;
  }

  long[] matMul(long[] a, long[] b) {
    if (a == null || b == null) {
      return null;
    }
    if (a.length == 1 && b.length == 1) {
      return new long[0];
    }
    long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
    long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
    long[] batch = broadcast(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
    List<Long> d = new ArrayList<>();
    for (long v : batch) {
      d.add(v);
    }
    if (a.length > 1) {
      d.add(a2[a2.length - 2]);
    }
    if (b.length > 1) {
      d.add(b2[b2.length - 1]);
    }
    return d.stream().mapToLong(Long::longValue).toArray();
  }

  private long[] reshape(long[] in, long[] target, boolean allowZero, long[] targetDims) {
    if (target == null) {
      if (targetDims != null && targetDims.length == 1 && targetDims[0] >= 0) {
        long[] d = new long[(int) targetDims[0]];
        for (int i = 0; i < d.length; i++) {
          d[i] = fresh();
        }
        return d;
      }
      return null;
    }
    long[] out = new long[target.length];
    int infer = -1;
    for (int i = 0; i < target.length; i++) {
      long v = target[i];
      if (v == 0 && !allowZero) {
        out[i] = in != null && i < in.length ? in[i] : fresh();
      } else if (v == -1) {
        infer = i;
      } else {
        out[i] = v;
      }
    }
    if (infer >= 0) {
      out[infer] = inferDim(in, out, infer);
    }
    return out;
  }

  /** The size of the -1 entry of a Reshape: the input's size divided by the other entries. */
  private long inferDim(long[] in, long[] out, int infer) {
    if (in == null) {
      return fresh();
    }
    long known = 1;
    List<Long> syms = new ArrayList<>();
    for (long d : in) {
      if (d >= 0) {
        known *= d;
      } else {
        syms.add(d);
      }
    }
    long outKnown = 1;
    for (int i = 0; i < out.length; i++) {
      if (i == infer) {
        continue;
      }
      if (out[i] >= 0) {
        outKnown *= out[i];
      } else if (!syms.remove((Long) out[i])) {
        return fresh();
      }
    }
    if (outKnown == 0 || known % outKnown != 0) {
      return fresh();
    }
    if (syms.isEmpty()) {
      return known / outKnown;
    }
    return syms.size() == 1 && known == outKnown ? syms.get(0) : fresh();
  }

  long[] perm(Onnx.NodeProto n, int rank) {
    long[] perm = NodeAttrs.ints(n, "perm");
    if (perm == null || perm.length == 0) {
      perm = new long[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = rank - 1 - i;
      }
    }
    return perm;
  }

  /** The sizes of the outputs of a Split along an axis of size {@code size}, or null. */
  long[] splitSizes(Onnx.NodeProto n, long size) {
    long[] split = opset >= 13 ? ints(NodeAttrs.input(n, 1)) : NodeAttrs.ints(n, "split");
    if (split != null && split.length > 0) {
      return split;
    }
    int outputs = n.getOutputCount();
    if (size < 0) {
      return null;
    }
    long[] out = new long[outputs];
    long chunk = Windows.ceilDiv(size, outputs);
    long left = size;
    for (int k = 0; k < outputs; k++) {
      out[k] = Math.min(chunk, left);
      left -= out[k];
    }
    return out;
  }

  private long[] sliceUnknown(TensorInfo x) {
    if (x.dims() == null) {
      return null;
    }
    long[] d = new long[x.rank()];
    for (int i = 0; i < d.length; i++) {
      d[i] = fresh();
    }
    return d;
  }

  /** The axes of a Squeeze or Unsqueeze (input from opset 13, attribute before), or null. */
  long[] squeezeAxes(Onnx.NodeProto n) {
    return opset >= 13 ? (n.getInputCount() > 1 && !n.getInput(1).isEmpty()
        ? staticInts(n.getInput(1)) : null) : NodeAttrs.ints(n, "axes");
  }

  private long[] squeeze(Onnx.NodeProto n, long[] in) {
    if (in == null) {
      return null;
    }
    long[] axes = squeezeAxes(n);
    List<Long> out = new ArrayList<>();
    if (axes == null) {
      if (opset >= 13 && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
        return null;
      }
      for (long d : in) {
        if (d < 0) {
          return null;
        }
        if (d != 1) {
          out.add(d);
        }
      }
    } else {
      long[] norm = Dims.axes(axes, in.length);
      for (int i = 0; i < in.length; i++) {
        if (Arrays.binarySearch(norm, i) < 0) {
          out.add(in[i]);
        }
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private long[] unsqueeze(Onnx.NodeProto n, long[] in) {
    long[] axes = squeezeAxes(n);
    if (in == null || axes == null) {
      return null;
    }
    int rank = in.length + axes.length;
    long[] norm = Dims.axes(axes, rank);
    long[] out = new long[rank];
    int k = 0;
    for (int i = 0; i < rank; i++) {
      out[i] = Arrays.binarySearch(norm, i) >= 0 ? 1 : in[k++];
    }
    return out;
  }

  /** The constant parameters of one Slice node resolved against its input's dims. */
  record SliceSpec(int[] axes, long[] starts, long[] steps, long[] counts, long[] inDims) {
    static SliceSpec of(ShapeInference s, Onnx.NodeProto n) {
      long[] in = s.dims(n.getInput(0));
      if (in == null) {
        return null;
      }
      long[] starts;
      long[] ends;
      long[] axes;
      long[] steps;
      if (s.opset >= 10) {
        starts = s.staticInts(NodeAttrs.input(n, 1));
        ends = s.staticInts(NodeAttrs.input(n, 2));
        String ax = NodeAttrs.input(n, 3);
        String st = NodeAttrs.input(n, 4);
        axes = ax.isEmpty() ? null : s.staticInts(ax);
        steps = st.isEmpty() ? null : s.staticInts(st);
        if (starts == null || ends == null || (!ax.isEmpty() && axes == null)
            || (!st.isEmpty() && steps == null)) {
          return null;
        }
      } else {
        starts = NodeAttrs.ints(n, "starts");
        ends = NodeAttrs.ints(n, "ends");
        axes = NodeAttrs.ints(n, "axes");
        steps = null;
      }
      if (axes == null) {
        axes = Dims.range(0, starts.length);
      }
      if (steps == null) {
        steps = Dims.ones(starts.length);
      }
      int k = starts.length;
      int[] ax = new int[k];
      long[] st = new long[k];
      long[] cnt = new long[k];
      for (int i = 0; i < k; i++) {
        ax[i] = Dims.axis(axes[i], in.length);
        long dim = in[ax[i]];
        if (dim < 0 || steps[i] == 0) {
          return null;
        }
        long step = steps[i];
        long b = starts[i] < 0 ? starts[i] + dim : starts[i];
        long e = ends[i] < 0 ? Math.max(ends[i] + dim, -1) : ends[i];
        if (step > 0) {
          b = Math.max(0, Math.min(dim, b));
          e = Math.max(0, Math.min(dim, e));
          cnt[i] = Math.max(0, Windows.ceilDiv(e - b, step));
        } else {
          b = Math.max(-1, Math.min(dim - 1, b));
          e = Math.max(-1, Math.min(dim - 1, e));
          cnt[i] = Math.max(0, Windows.ceilDiv(b - e, -step));
        }
        st[i] = b;
      }
      return new SliceSpec(ax, st, steps, cnt, in);
    }

    long start(int i) {
      return starts[i];
    }

    long step(int i) {
      return steps[i];
    }

    long count(int i) {
      return counts[i];
    }

    long[] outDims(ShapeInference s) {
      long[] out = inDims.clone();
      for (int i = 0; i < axes.length; i++) {
        out[axes[i]] = counts[i];
      }
      return out;
    }
  }

  /** Axes and keepdims of a Reduce node (attribute or input, by op and opset). */
  record ReduceSpec(long[] axes, boolean keepDims, boolean noop) {
    static ReduceSpec of(ShapeInference s, Onnx.NodeProto n) {
      boolean axesAsInput = n.getOpType().equals("ReduceSum") ? s.opset >= 13 : s.opset >= 18;
      long[] axes;
      if (axesAsInput) {
        String in = NodeAttrs.input(n, 1);
        axes = in.isEmpty() ? new long[0] : s.staticInts(in);
        if (axes == null) {
          return null;
        }
      } else {
        axes = NodeAttrs.ints(n, "axes");
        if (axes == null) {
          axes = new long[0];
        }
      }
      return new ReduceSpec(axes, NodeAttrs.i(n, "keepdims", 1) != 0,
          NodeAttrs.i(n, "noop_with_empty_axes", 0) != 0);
    }

    /** The normalized reduced axes for an input of rank {@code rank} (all when empty). */
    long[] normalized(int rank) {
      if (axes.length == 0) {
        return noop ? new long[0] : Dims.range(0, rank);
      }
      return Dims.axes(axes, rank);
    }

    long[] outDims(long[] in) {
      if (in == null) {
        return null;
      }
      long[] norm = normalized(in.length);
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < in.length; i++) {
        if (Arrays.binarySearch(norm, i) < 0) {
          out.add(in[i]);
        } else if (keepDims) {
          out.add(1L);
        }
      }
      return out.stream().mapToLong(Long::longValue).toArray();
    }
  }

  static Map<String, Onnx.ValueInfoProto> index(List<Onnx.ValueInfoProto> list) {
    Map<String, Onnx.ValueInfoProto> m = new HashMap<>();
    list.forEach(v -> m.put(v.getName(), v));
    return m;
  }
}
