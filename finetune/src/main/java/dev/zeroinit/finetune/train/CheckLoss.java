package dev.zeroinit.finetune.train;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.onnxio.graph.GraphInputs;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.Float16;
import dev.zeroinit.verify.Dims;
import dev.zeroinit.verify.HostTensor;
import dev.zeroinit.verify.ModelInputs;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The loss of the gradient check's training step and its synthesized targets.
 *
 * <p>The loss reads the model's first float output. Unless one is asked for, it is chosen from that
 * output's declared shape: cross-entropy for [N, C] with C of at least 2; the language-model loss for
 * [N, S, V] when an input is integer (token ids); mean squared error otherwise.
 *
 * <p>Targets, drawn from a stream seeded by the seed: class labels uniform in [0, C) (cross-entropy),
 * next-token ids uniform in [0, V) (language model), standard normal values of the output's shape
 * (MSE). A class count the model does not declare gives labels 0.
 *
 * @param kind the loss
 * @param output the output it reads
 * @param reason why this loss, in words
 * @param classes C or V: labels and token ids are drawn below it (0 when not declared)
 */
record CheckLoss(LossKind kind, String output, String reason, long classes) {

  /**
   * The loss for {@code forward}: {@code requested}, or chosen automatically when it is null.
   *
   * @throws GradientCheckException when the model has no float output, or cannot take the loss asked for
   */
  static CheckLoss choose(Onnx.GraphProto forward, LossKind requested) throws GradientCheckException {
    Onnx.ValueInfoProto out = null;
    for (Onnx.ValueInfoProto o : forward.getOutputList()) {
      if (o.getType().hasTensorType() && isFloat(o.getType().getTensorType().getElemType())) {
        out = o;
        break;
      }
    }
    if (out == null) {
      throw new GradientCheckException(GradientCheckException.Kind.USAGE,
          "--grad: the model has no float output for a loss to read");
    }
    long[] dims = declared(out);
    long last = dims == null || dims.length == 0 ? -1 : dims[dims.length - 1];
    boolean tokens = hasIntegerInput(forward);
    String shape = dims == null ? "no declared shape" : "shape " + describe(dims);
    String name = "'" + out.getName() + "'";
    if (requested != null) {
      if (requested == LossKind.LANGUAGE_MODEL && !tokens) {
        throw new GradientCheckException(GradientCheckException.Kind.USAGE,
            "--loss lm needs a model that reads integer token ids; this one has no integer input");
      }
      int rank = requested == LossKind.CROSS_ENTROPY ? 2 : requested == LossKind.LANGUAGE_MODEL ? 3 : -1;
      if (rank > 0 && dims != null && dims.length != rank) {
        throw new GradientCheckException(GradientCheckException.Kind.USAGE, "--loss " + requested.optionName()
            + " needs an output of rank " + rank + (rank == 2 ? " [N, C]" : " [N, S, V]") + "; " + name
            + " has " + shape);
      }
      return new CheckLoss(requested, out.getName(), "--loss " + requested.optionName(), Math.max(0, last));
    }
    if (dims != null && dims.length == 2 && last >= 2) {
      return new CheckLoss(LossKind.CROSS_ENTROPY, out.getName(), shape + ": class logits", last);
    }
    if (dims != null && dims.length == 3 && tokens && last >= 2) {
      return new CheckLoss(LossKind.LANGUAGE_MODEL, out.getName(), shape
          + " and an input holds token ids: next-token logits", last);
    }
    return new CheckLoss(LossKind.MSE, out.getName(), shape + ": neither class nor token logits", 0);
  }

  /**
   * The targets for the step graph's targets input {@code declared}, whose symbolic dims take their
   * sizes from the model inputs that use the same names.
   *
   * @param forwardInputs the forward graph's declared inputs
   * @param inputs the resolved inputs (concrete dims)
   */
  HostTensor targets(Onnx.ValueInfoProto declared, List<Onnx.ValueInfoProto> forwardInputs,
      List<ModelInputs.Input> inputs, int elemType, long seed) throws GradientCheckException {
    Map<String, Long> bound = new HashMap<>();
    for (ModelInputs.Input in : inputs) {
      for (Onnx.ValueInfoProto v : forwardInputs) {
        if (!v.getName().equals(in.name()) || !v.getType().getTensorType().hasShape()) {
          continue;
        }
        List<Onnx.TensorShapeProto.Dimension> ds = v.getType().getTensorType().getShape().getDimList();
        long[] shape = in.shape();
        for (int d = 0; d < ds.size() && d < shape.length; d++) {
          if (!ds.get(d).getDimParam().isEmpty()) {
            bound.putIfAbsent(ds.get(d).getDimParam(), shape[d]);
          }
        }
      }
    }
    List<Onnx.TensorShapeProto.Dimension> ds = declared.getType().getTensorType().getShape().getDimList();
    long[] dims = new long[ds.size()];
    for (int d = 0; d < dims.length; d++) {
      Onnx.TensorShapeProto.Dimension dim = ds.get(d);
      Long size = dim.hasDimValue() && dim.getDimValue() > 0 ? Long.valueOf(dim.getDimValue())
          : bound.get(dim.getDimParam());
      if (size == null) {
        throw new GradientCheckException(GradientCheckException.Kind.USAGE, "--grad: axis " + d
            + " of the targets for '" + output + "' has no size that can be known before a run (the shape of '"
            + output + "' is not inferred); try another --loss");
      }
      dims[d] = size;
    }
    DataType type = kind == LossKind.MSE ? type(elemType) : DataType.INT64;
    long n = Dims.elementCount(dims);
    ByteBuffer buf = HostTensor.allocate(type, n);
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x7461726765747321L);
    for (int i = 0; i < n; i++) {
      if (kind == LossKind.MSE) {
        double v = r.nextGaussian();
        switch (type) {
          case FLOAT -> buf.putFloat(i * 4, (float) v);
          case DOUBLE -> buf.putDouble(i * 8, v);
          case FLOAT16 -> buf.putShort(i * 2, Float16.fromDouble(v));
          case BFLOAT16 -> buf.putShort(i * 2, BFloat16.fromDouble(v));
          default -> throw new IllegalStateException("MSE targets of " + type.onnxName());
        }
      } else {
        buf.putLong(i * 8, classes > 0 ? r.nextLong(classes) : 0);
      }
    }
    return HostTensor.of(type, dims, buf);
  }

  /** How the targets are drawn, e.g. {@code class labels in [0, 10)}. */
  String targetRule() {
    return switch (kind) {
      case CROSS_ENTROPY -> classes > 0 ? "class labels in [0, " + classes + ")"
          : "class labels 0 (the class count is not declared)";
      case LANGUAGE_MODEL -> classes > 0 ? "next-token ids in [0, " + classes + ")"
          : "next-token ids 0 (the vocabulary size is not declared)";
      case MSE -> "normal(0, 1)";
    };
  }

  private static DataType type(int code) {
    return switch (code) {
      case 10 -> DataType.FLOAT16;
      case 11 -> DataType.DOUBLE;
      case 16 -> DataType.BFLOAT16;
      default -> DataType.FLOAT;
    };
  }

  private static boolean isFloat(int code) {
    return code == 1 || code == 10 || code == 11 || code == 16;
  }

  private static boolean hasIntegerInput(Onnx.GraphProto g) {
    for (Onnx.ValueInfoProto v : GraphInputs.fed(g)) {
      int t = v.getType().hasTensorType() ? v.getType().getTensorType().getElemType() : 0;
      if ((t == 2 || t == 3 || t == 4 || t == 5 || t == 6 || t == 7 || t == 12
          || t == 13)) {
        return true;
      }
    }
    return false;
  }

  private static long[] declared(Onnx.ValueInfoProto v) {
    if (!v.getType().getTensorType().hasShape()) {
      return null;
    }
    return v.getType().getTensorType().getShape().getDimList().stream()
        .mapToLong(d -> d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : -1).toArray();
  }

  private static String describe(long[] dims) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      b.append(i == 0 ? "" : ", ").append(dims[i] < 0 ? "?" : String.valueOf(dims[i]));
    }
    return b.append(']').toString();
  }
}
