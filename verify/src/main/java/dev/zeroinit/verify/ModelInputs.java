package dev.zeroinit.verify;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.GraphInputs;
import dev.zeroinit.onnxio.graph.NodeRef;
import dev.zeroinit.onnxio.graph.Use;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorShapeProto;
import dev.zeroinit.onnxio.proto.Onnx.TypeProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import dev.zeroinit.onnxio.tensor.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The inputs a model is run with: its declared graph inputs (those that are not initializers), each
 * with concrete dims and a rule for its values.
 *
 * <p>Dims: a fixed {@code dim_value} as declared; a symbolic dim by {@code --dim NAME=VALUE} (its
 * {@code dim_param}), else by the shape of an input given as a file that uses the same name, else, for
 * the first dim, by {@code --batch}; a dim with no name at all by {@code --dim INPUT:AXIS=VALUE}. Any
 * other unknown dim is an error that names it and the flag to set.
 *
 * <p>Values, from a stream seeded by the seed and the input's name (so one input's values do not depend
 * on the others): float inputs (FLOAT, FLOAT16, BFLOAT16, DOUBLE) standard normal; integer inputs that
 * reach a Gather's indices (directly or through Cast/Identity/Reshape/Squeeze/Unsqueeze/Flatten) whose
 * data is a constant are drawn uniformly in [0, the table's size along the Gather axis) (token ids;
 * the smallest table when there are several); other integer inputs uniformly in [0, 10); BOOL inputs a
 * fair coin. An input given as a file ({@code .npy} or {@code TensorProto .pb}) is used as it is, after
 * conversion to the declared type (float to float rounds; integers must fit; UINT16 bit patterns read as
 * BFLOAT16, as NumPy has no bfloat16).
 */
public final class ModelInputs {
  /** Ops through which an integer input keeps its values on the way to a Gather. */
  private static final Set<String> PASS_THROUGH =
      Set.of("Cast", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten");

  /**
   * One input.
   *
   * @param name graph input name
   * @param type declared element type
   * @param shape concrete dims
   * @param rule how seeded values are drawn, in words
   * @param file the file it is read from, or null
   * @param bound for integer inputs, values are drawn in [0, bound)
   */
  public record Input(String name, DataType type, long[] shape, String rule, Path file, long bound) {
    public long[] shape() {
      return shape.clone();
    }
  }

  private final List<Input> inputs;
  private final Map<String, HostTensor> fromFiles;

  private ModelInputs(List<Input> inputs, Map<String, HostTensor> fromFiles) {
    this.inputs = List.copyOf(inputs);
    this.fromFiles = fromFiles;
  }

  public List<Input> inputs() {
    return inputs;
  }

  /**
   * Resolves the inputs of {@code graph} (the main graph) under {@code config}.
   *
   * @throws VerifyInputException for an unset dim, a file that does not fit, an unknown input name
   * @throws UnsupportedTypeException for an input ORT's Java API cannot feed (UINT16/32/64, sequences)
   */
  public static ModelInputs resolve(GraphProto graph, GraphIndex index, VerifyConfig config)
      throws VerifyInputException, UnsupportedTypeException, IOException {
    List<ValueInfoProto> declared = GraphInputs.fed(graph);
    Map<String, ValueInfoProto> byName = new LinkedHashMap<>();
    declared.forEach(v -> byName.put(v.getName(), v));
    for (String given : config.inputs().keySet()) {
      if (!byName.containsKey(given)) {
        throw new VerifyInputException("--input " + given + ": the model has no input '" + given + "'; its inputs: "
            + String.join(", ", byName.keySet()));
      }
    }
    // Read the files first: their shapes bind symbolic dims for the other inputs.
    Map<String, HostTensor> files = new LinkedHashMap<>();
    Map<String, Long> bound = new HashMap<>(config.dims());
    for (ValueInfoProto v : declared) {
      Path f = config.inputs().get(v.getName());
      if (f == null) {
        continue;
      }
      DataType type = elemType(v);
      HostTensor t = convert(read(v.getName(), f), type, v.getName(), f);
      long[] dims = t.shape();
      TensorShapeProto shape = v.getType().getTensorType().getShape();
      if (v.getType().getTensorType().hasShape()) {
        if (shape.getDimCount() != dims.length) {
          throw new VerifyInputException("--input " + v.getName() + "=" + f + ": the file holds " + Dims.format(dims)
              + ", the model declares rank " + shape.getDimCount());
        }
        for (int d = 0; d < dims.length; d++) {
          TensorShapeProto.Dimension dim = shape.getDim(d);
          if (dim.hasDimValue() && dim.getDimValue() != dims[d]) {
            throw new VerifyInputException("--input " + v.getName() + "=" + f + ": axis " + d + " is " + dims[d]
                + " in the file, " + dim.getDimValue() + " in the model");
          }
          if (dim.hasDimParam() && !dim.getDimParam().isEmpty()) {
            Long had = bound.putIfAbsent(dim.getDimParam(), dims[d]);
            if (had != null && had != dims[d]) {
              throw new VerifyInputException("--input " + v.getName() + "=" + f + ": dim '" + dim.getDimParam()
                  + "' is " + dims[d] + " here but " + had + " elsewhere (--dim or another input)");
            }
          }
        }
      }
      files.put(v.getName(), t);
    }
    // The first dim of every input defaults to --batch.
    for (ValueInfoProto v : declared) {
      TensorShapeProto shape = v.getType().getTensorType().getShape();
      if (shape.getDimCount() > 0 && shape.getDim(0).hasDimParam() && !shape.getDim(0).getDimParam().isEmpty()) {
        bound.putIfAbsent(shape.getDim(0).getDimParam(), (long) config.batch());
      }
    }
    List<Input> out = new ArrayList<>();
    for (ValueInfoProto v : declared) {
      DataType type = elemType(v);
      Path f = config.inputs().get(v.getName());
      long[] dims = f != null ? files.get(v.getName()).shape() : dims(v, bound, config);
      if (f == null) {
        if (type == DataType.STRING) {
          throw new VerifyInputException("input '" + v.getName() + "' holds strings, which are not synthesized; "
              + "give it with --input " + v.getName() + "=FILE");
        }
        if (!OrtTensors.canCreate(type)) {
          throw new UnsupportedTypeException("input '" + v.getName() + "' is " + type.onnxName()
              + ", which ONNX Runtime's Java API cannot create");
        }
        long n;
        try {
          n = Dims.elementCount(dims);
        } catch (IllegalArgumentException e) {
          throw new VerifyInputException("input '" + v.getName() + "': " + e.getMessage());
        }
        if (n > HostTensor.MAX_BYTES / Math.max(1, type.bitsPerElement() / 8)) {
          throw new VerifyInputException("input '" + v.getName() + "' " + Dims.format(dims) + " would take more than "
              + HostTensor.MAX_BYTES + " bytes; set smaller sizes with --batch or --dim");
        }
      }
      long tokenBound = type.isInteger() ? gatherBound(index, v.getName()) : 0;
      long intBound = type.isInteger() ? Math.min(tokenBound > 0 ? tokenBound : 10, maxBound(type)) : 0;
      String rule;
      if (type.isZeroInitFloat()) {
        rule = "normal(0, 1)";
      } else if (type == DataType.BOOL) {
        rule = "fair coin";
      } else if (type.isInteger()) {
        rule = tokenBound > 0 ? "token ids in [0, " + intBound + ")" : "integers in [0, " + intBound + ")";
      } else {
        rule = "from the file";
      }
      out.add(new Input(v.getName(), type, dims, rule, f, intBound));
    }
    return new ModelInputs(out, files);
  }

  /**
   * The input values: from the files where given (when {@code useFiles}), else drawn with
   * {@code seed} by each input's rule.
   */
  public Map<String, HostTensor> values(long seed, boolean useFiles) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Input in : inputs) {
      if (useFiles && in.file() != null) {
        out.put(in.name(), fromFiles.get(in.name()));
      } else if (in.type() == DataType.STRING) {
        out.put(in.name(), fromFiles.get(in.name())); // strings are never drawn; the file's values stay
      } else {
        out.put(in.name(), draw(in, seed));
      }
    }
    return out;
  }

  private static HostTensor draw(Input in, long seed) {
    long n = Dims.elementCount(in.shape());
    ByteBuffer buf = HostTensor.allocate(in.type(), n);
    SplittableRandom r = stream(seed, in.name());
    for (int i = 0; i < n; i++) {
      switch (in.type()) {
        case FLOAT, DOUBLE, FLOAT16, BFLOAT16 -> HostTensor.putDouble(buf, in.type(), i, r.nextGaussian());
        case BOOL -> buf.put(i, (byte) (r.nextBoolean() ? 1 : 0));
        default -> HostTensor.putLong(buf, in.type(), i, r.nextLong(in.bound()));
      }
    }
    return HostTensor.of(in.type(), in.shape(), buf);
  }

  /** A stream keyed by (seed, name): FNV-1a over the UTF-8 name, mixed with the seed. */
  private static SplittableRandom stream(long seed, String name) {
    long h = 0xcbf29ce484222325L;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return new SplittableRandom(h ^ (seed * 0x9e3779b97f4a7c15L + 0x632be59bd9b4e019L));
  }

  private static long maxBound(DataType t) {
    return switch (t) {
      case INT8 -> 128;
      case UINT8 -> 256;
      case INT16 -> 1 << 15;
      default -> Long.MAX_VALUE;
    };
  }

  private static DataType elemType(ValueInfoProto v) throws UnsupportedTypeException {
    TypeProto t = v.getType();
    if (t.getValueCase() != TypeProto.ValueCase.TENSOR_TYPE) {
      throw new UnsupportedTypeException("input '" + v.getName() + "' is a "
          + t.getValueCase().name().replace("_TYPE", "").toLowerCase(Locale.ROOT) + ", not a tensor; only tensor "
          + "inputs are fed");
    }
    try {
      return DataType.fromCode(t.getTensorType().getElemType());
    } catch (InvalidModelException e) {
      throw new UnsupportedTypeException("input '" + v.getName() + "' has element type code "
          + t.getTensorType().getElemType());
    }
  }

  private static long[] dims(ValueInfoProto v, Map<String, Long> bound, VerifyConfig config)
      throws VerifyInputException {
    if (!v.getType().getTensorType().hasShape()) {
      throw new VerifyInputException("input '" + v.getName() + "' declares no shape; give it with --input "
          + v.getName() + "=FILE");
    }
    TensorShapeProto shape = v.getType().getTensorType().getShape();
    long[] dims = new long[shape.getDimCount()];
    for (int d = 0; d < dims.length; d++) {
      TensorShapeProto.Dimension dim = shape.getDim(d);
      String axisKey = v.getName() + ":" + d;
      if (config.dims().containsKey(axisKey)) {
        dims[d] = config.dims().get(axisKey);
      } else if (dim.hasDimValue() && dim.getDimValue() >= 0) {
        dims[d] = dim.getDimValue();
      } else if (dim.hasDimParam() && !dim.getDimParam().isEmpty()) {
        Long b = bound.get(dim.getDimParam());
        if (b == null) {
          throw new VerifyInputException("input '" + v.getName() + "' axis " + d + " is the symbolic dim '"
              + dim.getDimParam() + "'; set it with --dim " + dim.getDimParam() + "=VALUE");
        }
        dims[d] = b;
      } else if (d == 0) {
        dims[d] = config.batch();
      } else {
        throw new VerifyInputException("input '" + v.getName() + "' axis " + d + " has no size and no name; set it "
            + "with --dim " + axisKey + "=VALUE");
      }
    }
    return dims;
  }

  /** The smallest size of a constant table that the input indexes through Gather, or 0. */
  static long gatherBound(GraphIndex g, String input) {
    long best = 0;
    Deque<String> todo = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    todo.add(input);
    while (!todo.isEmpty()) {
      String value = todo.poll();
      if (!seen.add(value)) {
        continue;
      }
      for (Use u : g.consumers(value)) {
        NodeRef n = u.node();
        if (n.isOnnxOp("Gather") && u.slot() == 1) {
          GraphIndex.ConstantRef table = g.constant(n.input(0));
          if (table != null) {
            List<Long> tdims = table.tensor().getDimsList();
            long axis = n.intAttr("axis", 0);
            if (axis < 0) {
              axis += tdims.size();
            }
            if (axis >= 0 && axis < tdims.size() && tdims.get((int) axis) > 0) {
              long size = tdims.get((int) axis);
              best = best == 0 ? size : Math.min(best, size);
            }
          }
        } else if (u.slot() == 0 && PASS_THROUGH.contains(n.opType()) && n.node().getOutputCount() > 0) {
          todo.add(n.node().getOutput(0));
        }
      }
    }
    return best;
  }

  private static HostTensor read(String name, Path f) throws IOException, VerifyInputException {
    if (!Files.isRegularFile(f)) {
      throw new VerifyInputException("--input " + name + "=" + f + ": no such file");
    }
    String lower = f.getFileName().toString().toLowerCase(Locale.ROOT);
    if (lower.endsWith(".npy")) {
      return NpyReader.read(f);
    }
    if (lower.endsWith(".pb")) {
      long size = Files.size(f);
      if (size > HostTensor.MAX_BYTES) {
        throw new VerifyInputException("--input " + name + "=" + f + ": too large for one tensor");
      }
      try {
        return TensorProtos.toHost(TensorProto.parseFrom(Files.readAllBytes(f)));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new VerifyInputException("--input " + name + "=" + f + ": not an ONNX TensorProto (" + e.getMessage() + ")");
      } catch (InvalidModelException | UnsupportedTypeException e) {
        throw new VerifyInputException("--input " + name + "=" + f + ": " + e.getMessage());
      }
    }
    throw new VerifyInputException("--input " + name + "=" + f + ": give a .npy file or an ONNX TensorProto .pb");
  }

  private static HostTensor convert(HostTensor t, DataType want, String name, Path f) throws VerifyInputException {
    try {
      if (t.type() == DataType.UINT16 && want == DataType.BFLOAT16) {
        return t.reinterpret(want);
      }
      if (t.type() == DataType.STRING || want == DataType.STRING) {
        if (t.type() != want) {
          throw new IllegalArgumentException("cannot convert " + t.type().onnxName() + " values to " + want.onnxName());
        }
        return t;
      }
      return t.convertTo(want);
    } catch (IllegalArgumentException e) {
      throw new VerifyInputException("--input " + name + "=" + f + ": the model declares " + want.onnxName() + "; "
          + e.getMessage());
    }
  }
}
