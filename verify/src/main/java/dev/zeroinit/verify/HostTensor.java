package dev.zeroinit.verify;

import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor in host memory: its ONNX element type, its dims, and its values, little-endian and row-major
 * in a direct buffer (or, for STRING, as Java strings). This is the form every source of values takes
 * on its way to ONNX Runtime: synthesized inputs, {@code .npy} files, {@code TensorProto} files, and
 * the outputs read back for comparison.
 */
public final class HostTensor {
  /** The largest number of bytes one tensor may take (one Java buffer). */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private final DataType type;
  private final long[] shape;
  private final ByteBuffer data;
  private final String[] strings;

  private HostTensor(DataType type, long[] shape, ByteBuffer data, String[] strings) {
    this.type = type;
    this.shape = shape;
    this.data = data;
    this.strings = strings;
  }

  /**
   * A tensor over {@code data} (position 0 to limit, little-endian), which must hold exactly
   * {@code elementCount(shape)} elements of a fixed-width {@code type}.
   */
  public static HostTensor of(DataType type, long[] shape, ByteBuffer data) {
    Objects.requireNonNull(type, "type");
    if (type == DataType.STRING || type.bitsPerElement() == 0 || type.bitsPerElement() % 8 != 0) {
      throw new IllegalArgumentException("no byte layout for " + type.onnxName());
    }
    long n = Dims.elementCount(shape);
    long want = n * (type.bitsPerElement() / 8);
    if (data.limit() != want) {
      throw new IllegalArgumentException(type.onnxName() + " " + Dims.format(shape) + " needs " + want
          + " bytes, got " + data.limit());
    }
    return new HostTensor(type, shape.clone(), data.order(ByteOrder.LITTLE_ENDIAN), null);
  }

  /** A STRING tensor. */
  public static HostTensor strings(long[] shape, String[] values) {
    if (Dims.elementCount(shape) != values.length) {
      throw new IllegalArgumentException("STRING " + Dims.format(shape) + " needs "
          + Dims.elementCount(shape) + " values, got " + values.length);
    }
    return new HostTensor(DataType.STRING, shape.clone(), null, values.clone());
  }

  /** A zeroed buffer for {@code n} elements of {@code type}, little-endian, direct. */
  public static ByteBuffer allocate(DataType type, long n) {
    long bytes = n * (type.bitsPerElement() / 8);
    if (n < 0 || bytes > MAX_BYTES || (type.bitsPerElement() > 0 && bytes / (type.bitsPerElement() / 8) != n)) {
      throw new IllegalArgumentException(type.onnxName() + " tensor of " + n
          + " elements is larger than one buffer holds (" + MAX_BYTES + " bytes)");
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  public DataType type() {
    return type;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** The values (little-endian, position 0); null for STRING. A read-only view. */
  public ByteBuffer data() {
    return data == null ? null : data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The values of a STRING tensor; null otherwise. */
  public String[] stringValues() {
    return strings == null ? null : strings.clone();
  }

  public int elementCount() {
    return (int) Dims.elementCount(shape);
  }

  /** Bytes per element, 0 for STRING. */
  public int width() {
    return type.bitsPerElement() / 8;
  }

  public boolean isFloat() {
    return type.isZeroInitFloat();
  }

  /** Element {@code i} of a float, integer or BOOL tensor as a double (UINT64 above 2^63 read unsigned). */
  public double getDouble(int i) {
    return switch (type) {
      case FLOAT -> data.getFloat(i * 4);
      case DOUBLE -> data.getDouble(i * 8);
      case FLOAT16 -> Float16.toDouble(data.getShort(i * 2));
      case BFLOAT16 -> BFloat16.toDouble(data.getShort(i * 2));
      case UINT64 -> {
        long v = data.getLong(i * 8);
        yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
      }
      default -> getLong(i);
    };
  }

  /** Element {@code i} of an integer or BOOL tensor (UINT64 as its two's-complement bits). */
  public long getLong(int i) {
    return switch (type) {
      case INT8 -> data.get(i);
      case UINT8 -> data.get(i) & 0xFF;
      case BOOL -> data.get(i) != 0 ? 1 : 0;
      case INT16 -> data.getShort(i * 2);
      case UINT16 -> data.getShort(i * 2) & 0xFFFF;
      case INT32 -> data.getInt(i * 4);
      case UINT32 -> data.getInt(i * 4) & 0xFFFFFFFFL;
      case INT64, UINT64 -> data.getLong(i * 8);
      default -> throw new IllegalStateException("not an integer type: " + type.onnxName());
    };
  }

  /**
   * This tensor's values in another type: any float type to any float type (rounded to nearest, ties
   * to even), integers to integers of a range that holds every value, integers to floats, BOOL to BOOL.
   *
   * @throws IllegalArgumentException for any other pair, or an integer out of the target's range
   */
  public HostTensor convertTo(DataType target) {
    if (target == type) {
      return this;
    }
    boolean fromFloat = type.isZeroInitFloat();
    boolean fromInt = type.isInteger() && width() > 0;
    int n = elementCount();
    if (target.isZeroInitFloat() && (fromFloat || fromInt)) {
      ByteBuffer out = allocate(target, n);
      for (int i = 0; i < n; i++) {
        putDouble(out, target, i, getDouble(i));
      }
      return new HostTensor(target, shape, out, null);
    }
    if (target.isInteger() && fromInt && target.bitsPerElement() % 8 == 0) {
      ByteBuffer out = allocate(target, n);
      for (int i = 0; i < n; i++) {
        long v = getLong(i);
        if (type == DataType.UINT64 && v < 0 || !fits(target, v)) {
          throw new IllegalArgumentException("value " + (type == DataType.UINT64 ? Long.toUnsignedString(v)
              : String.valueOf(v)) + " at index " + i + " does not fit in " + target.onnxName());
        }
        putLong(out, target, i, v);
      }
      return new HostTensor(target, shape, out, null);
    }
    throw new IllegalArgumentException("cannot convert " + type.onnxName() + " values to " + target.onnxName());
  }

  /**
   * The same bytes read as another type of the same width, e.g. UINT16 bit patterns as BFLOAT16 (how
   * tools without a bfloat16 type store such values).
   */
  public HostTensor reinterpret(DataType target) {
    if (type == DataType.STRING || target.bitsPerElement() != type.bitsPerElement()) {
      throw new IllegalArgumentException("cannot read " + type.onnxName() + " bytes as " + target.onnxName());
    }
    return new HostTensor(target, shape, data, null);
  }

  /** Writes {@code v} as element {@code i} of a float-typed buffer. */
  static void putDouble(ByteBuffer out, DataType type, int i, double v) {
    switch (type) {
      case FLOAT -> out.putFloat(i * 4, (float) v);
      case DOUBLE -> out.putDouble(i * 8, v);
      case FLOAT16 -> out.putShort(i * 2, Float16.fromDouble(v));
      case BFLOAT16 -> out.putShort(i * 2, BFloat16.fromDouble(v));
      default -> throw new IllegalArgumentException("not a float type: " + type.onnxName());
    }
  }

  /** Writes {@code v} as element {@code i} of an integer- or BOOL-typed buffer (truncating). */
  static void putLong(ByteBuffer out, DataType type, int i, long v) {
    switch (type) {
      case INT8, UINT8, BOOL -> out.put(i, (byte) v);
      case INT16, UINT16 -> out.putShort(i * 2, (short) v);
      case INT32, UINT32 -> out.putInt(i * 4, (int) v);
      case INT64, UINT64 -> out.putLong(i * 8, v);
      default -> throw new IllegalArgumentException("not an integer type: " + type.onnxName());
    }
  }

  private static boolean fits(DataType t, long v) {
    return switch (t) {
      case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
      case UINT8 -> v >= 0 && v <= 0xFF;
      case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
      case UINT16 -> v >= 0 && v <= 0xFFFF;
      case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
      case UINT32 -> v >= 0 && v <= 0xFFFFFFFFL;
      case UINT64 -> v >= 0;
      default -> true;
    };
  }

  /** e.g. {@code FLOAT [8, 3, 224, 224]}. */
  @Override
  public String toString() {
    return type.onnxName() + " " + Arrays.toString(shape);
  }
}
