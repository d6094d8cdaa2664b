package dev.zeroinit.onnxio.tensor;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Reads and writes the values of FLOAT, FLOAT16, BFLOAT16 and DOUBLE tensors, in raw_data or in the
 * typed field ONNX assigns (float_data; int32_data holding zero-extended 16-bit patterns; double_data).
 * Encoding starts from zeroed storage and writes only the {@link SparseValues} entries, because ZerO
 * tensors are mostly zeros; decoding gives exact doubles and checks every length against the dims
 * before allocating. Pure functions: no file I/O (external data arrives as a ByteBuffer).
 */
public final class TensorCodec {
  /** The largest array length every JVM allocates. */
  static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  private static final VarHandle FLOATS =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLES =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORTS =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  // Field tags (number << 3 | wire type 2) for the packed typed fields.
  private static final int FLOAT_DATA_TAG = 4 << 3 | 2;
  private static final int INT32_DATA_TAG = 5 << 3 | 2;
  private static final int DOUBLE_DATA_TAG = 10 << 3 | 2;

  private TensorCodec() {}

  /**
   * Little-endian raw bytes of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor of {@code elementCount}
   * elements, zero except for {@code values}' entries (rounded to the type: nearest, ties to even).
   *
   * @throws IllegalArgumentException for another type, a negative count, a count whose bytes do not
   *     fit in one Java array, or an entry index outside the tensor
   */
  public static byte[] encodeRaw(DataType type, long elementCount, SparseValues values) {
    byte[] out = new byte[checkedLength(type, elementCount, 0)];
    fill(out, 0, type, elementCount, values);
    return out;
  }

  /**
   * Replaces {@code target}'s values: clears every data field (raw_data, the typed fields,
   * external_data, data_location) and stores {@code values} as raw_data or in the type's typed field.
   * Leaves dims, name and data_type alone; the caller keeps them consistent.
   */
  public static void encodeInto(Onnx.TensorProto.Builder target, DataType type, long elementCount,
      SparseValues values, TensorStorage storage) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(storage, "storage");
    if (storage == TensorStorage.RAW_DATA) {
      byte[] raw = encodeRaw(type, elementCount, values);
      clearData(target);
      target.setRawData(UnsafeByteOperations.unsafeWrap(raw));
      return;
    }
    byte[] packed = type == DataType.FLOAT16 || type == DataType.BFLOAT16
        ? packedPatterns(type, elementCount, values)
        : packedFixed(type, elementCount, values);
    clearData(target);
    try {
      target.mergeFrom(packed); // appends to the now empty typed field, without boxing each value
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("internal encoding error", e);
    }
  }

  /** RAW_DATA when raw_data is set or the values are in external data, else TYPED_FIELDS. */
  public static TensorStorage storageOf(Onnx.TensorProto t) {
    return t.hasRawData() || t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL
        ? TensorStorage.RAW_DATA : TensorStorage.TYPED_FIELDS;
  }

  /** Number of elements: the product of the dims, 1 for a scalar; bad dims are an invalid model. */
  public static long elementCount(Onnx.TensorProto t) throws InvalidModelException {
    return TensorSource.elementCount(t);
  }

  /**
   * Checks that a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor holds exactly as many values as its dims
   * say, without reading them; external tensors are checked by the reader against their files.
   */
  public static void checkLength(Onnx.TensorProto t) throws InvalidModelException {
    if (t.getDataLocation() != Onnx.TensorProto.DataLocation.EXTERNAL) {
      TensorSource.of(t, null);
    }
  }

  /** The exact values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor held in the proto. */
  public static double[] decode(Onnx.TensorProto t) throws InvalidModelException {
    return decode(t, null);
  }

  /**
   * The exact values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor. {@code raw}, when not null, is
   * the tensor's bytes from external data (position to limit; the buffer is not moved) and replaces the
   * proto's own data; null reads raw_data or the typed field.
   *
   * @throws InvalidModelException for another type, bad dims, or data whose length does not match the
   *     dims exactly; the message names the tensor
   */
  public static double[] decode(Onnx.TensorProto t, ByteBuffer raw) throws InvalidModelException {
    TensorSource source = TensorSource.of(t, raw);
    double[] out = new double[source.count];
    if (source.type == DataType.DOUBLE && source.bytes != null) {
      source.bytes.asDoubleBuffer().get(out);
    } else {
      source.forEach((i, v) -> out[i] = v);
    }
    return out;
  }

  /** As {@link #decode(Onnx.TensorProto)}, as floats (exact except DOUBLE, which rounds to nearest). */
  public static float[] decodeFloats(Onnx.TensorProto t) throws InvalidModelException {
    return decodeFloats(t, null);
  }

  /** As {@link #decode(Onnx.TensorProto, ByteBuffer)}, as floats (DOUBLE rounds to nearest float). */
  public static float[] decodeFloats(Onnx.TensorProto t, ByteBuffer raw)
      throws InvalidModelException {
    TensorSource source = TensorSource.of(t, raw);
    float[] out = new float[source.count];
    if (source.type == DataType.FLOAT && source.bytes != null) {
      source.bytes.asFloatBuffer().get(out);
    } else {
      source.forEach((i, v) -> out[i] = (float) v);
    }
    return out;
  }

  private static void clearData(Onnx.TensorProto.Builder t) {
    t.clearRawData()
        .clearFloatData()
        .clearInt32Data()
        .clearDoubleData()
        .clearInt64Data()
        .clearUint64Data()
        .clearStringData()
        .clearExternalData()
        .clearDataLocation();
  }

  /** Array length for {@code headroom} bytes plus the raw form, or IllegalArgumentException. */
  private static int checkedLength(DataType type, long elementCount, int headroom) {
    Objects.requireNonNull(type, "type");
    if (!type.isZeroInitFloat()) {
      throw new IllegalArgumentException(
          "cannot encode " + type.onnxName() + ": only FLOAT, FLOAT16, BFLOAT16 and DOUBLE");
    }
    if (elementCount < 0) {
      throw new IllegalArgumentException("negative element count " + elementCount);
    }
    int width = type.bitsPerElement() / 8;
    if (elementCount > (MAX_ARRAY_LENGTH - headroom) / width) {
      throw new IllegalArgumentException(type.onnxName() + " tensor of " + elementCount
          + " elements needs " + (elementCount > Long.MAX_VALUE / width ? "more than " + Long.MAX_VALUE
              : String.valueOf(elementCount * width)) + " bytes, more than one Java array holds ("
          + MAX_ARRAY_LENGTH + ")");
    }
    return (int) (elementCount * width) + headroom;
  }

  /** Writes the entries as little-endian elements into {@code out} from {@code base} (pre-zeroed). */
  private static void fill(byte[] out, int base, DataType type, long count, SparseValues values) {
    Objects.requireNonNull(values, "values");
    switch (type) {
      case FLOAT:
        values.forEachNonZero((i, v) -> FLOATS.set(out, base + offset(i, count, 4), (float) v));
        break;
      case DOUBLE:
        values.forEachNonZero((i, v) -> DOUBLES.set(out, base + offset(i, count, 8), v));
        break;
      case FLOAT16:
        values.forEachNonZero(
            (i, v) -> SHORTS.set(out, base + offset(i, count, 2), Float16.fromDouble(v)));
        break;
      case BFLOAT16:
        values.forEachNonZero(
            (i, v) -> SHORTS.set(out, base + offset(i, count, 2), BFloat16.fromDouble(v)));
        break;
      default:
        throw new AssertionError(type);
    }
  }

  /** Writes one value of {@code type} little-endian at byte {@code offset} of {@code out}. */
  static void putLittleEndian(byte[] out, int offset, DataType type, double v) {
    switch (type) {
      case FLOAT -> FLOATS.set(out, offset, (float) v);
      case DOUBLE -> DOUBLES.set(out, offset, v);
      case FLOAT16 -> SHORTS.set(out, offset, Float16.fromDouble(v));
      case BFLOAT16 -> SHORTS.set(out, offset, BFloat16.fromDouble(v));
      default -> throw new IllegalArgumentException("cannot encode " + type.onnxName());
    }
  }

  private static int offset(long index, long count, int width) {
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("index " + index + " outside a tensor of " + count + " elements");
    }
    return (int) index * width;
  }

  /** Field bytes of float_data / double_data: the packed payload of fixed-width values is raw_data. */
  private static byte[] packedFixed(DataType type, long count, SparseValues values) {
    int payload = checkedLength(type, count, 0);
    int header = 1 + varintSize(payload);
    byte[] out = new byte[checkedLength(type, count, header)];
    int p = writeVarint(out, 0, type == DataType.FLOAT ? FLOAT_DATA_TAG : DOUBLE_DATA_TAG);
    writeVarint(out, p, payload);
    fill(out, header, type, count, values);
    return out;
  }

  /** Field bytes of int32_data holding each 16-bit pattern as an unsigned varint. */
  private static byte[] packedPatterns(DataType type, long count, SparseValues values) {
    byte[] raw = encodeRaw(type, count, values);
    int n = (int) count;
    long payload = 0;
    for (int i = 0; i < n; i++) {
      payload += varintSize((short) SHORTS.get(raw, i * 2) & 0xFFFF);
    }
    if (payload > MAX_ARRAY_LENGTH - 6) {
      throw new IllegalArgumentException(type.onnxName() + " tensor of " + count
          + " elements is too large for int32_data; store it as raw data");
    }
    int header = 1 + varintSize((int) payload);
    byte[] out = new byte[header + (int) payload];
    int p = writeVarint(out, 0, INT32_DATA_TAG);
    p = writeVarint(out, p, (int) payload);
    for (int i = 0; i < n; i++) {
      p = writeVarint(out, p, (short) SHORTS.get(raw, i * 2) & 0xFFFF);
    }
    return out;
  }

  private static int varintSize(int value) {
    int size = 1;
    while ((value & ~0x7F) != 0) {
      value >>>= 7;
      size++;
    }
    return size;
  }

  private static int writeVarint(byte[] out, int p, int value) {
    while ((value & ~0x7F) != 0) {
      out[p++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[p++] = (byte) value;
    return p;
  }
}
