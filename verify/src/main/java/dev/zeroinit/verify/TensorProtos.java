package dev.zeroinit.verify;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * ONNX {@code TensorProto} to {@link HostTensor}, for every element type of whole bytes: the values in
 * {@code raw_data} (little-endian) or in the typed field ONNX assigns to the type ({@code float_data};
 * {@code int32_data} for INT8..UINT16, INT32, BOOL, FLOAT16, BFLOAT16 and the FLOAT8 types;
 * {@code int64_data}; {@code uint64_data} for UINT32 and UINT64; {@code double_data};
 * {@code float_data}/{@code double_data} pairs for COMPLEX64/128; {@code string_data}). Every length
 * is checked against the dims before anything is allocated.
 */
public final class TensorProtos {
  private TensorProtos() { }

  /**
   * The tensor's values.
   *
   * @throws InvalidModelException when the data does not match the dims or type (message names it)
   * @throws UnsupportedTypeException for sub-byte types (INT4, UINT4, FLOAT4E2M1, INT2, UINT2), for
   *     data in external files, and for UNDEFINED
   */
  public static HostTensor toHost(TensorProto t) throws InvalidModelException, UnsupportedTypeException {
    String name = t.getName().isEmpty() ? "tensor" : "tensor '" + t.getName() + "'";
    DataType type = DataType.fromCode(t.getDataType());
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count;
    try {
      count = Dims.elementCount(dims);
    } catch (IllegalArgumentException e) {
      throw new InvalidModelException(name + ": " + e.getMessage());
    }
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      throw new UnsupportedTypeException(name + ": values in an external file are not read here");
    }
    if (type == DataType.UNDEFINED) {
      throw new UnsupportedTypeException(name + ": element type UNDEFINED");
    }
    if (type == DataType.STRING) {
      if (t.getStringDataCount() != count) {
        throw new InvalidModelException(name + ": " + t.getStringDataCount() + " strings for dims "
            + Dims.format(dims));
      }
      String[] values = new String[(int) count];
      for (int i = 0; i < values.length; i++) {
        values[i] = t.getStringData(i).toString(StandardCharsets.UTF_8);
      }
      return HostTensor.strings(dims, values);
    }
    if (type.bitsPerElement() % 8 != 0) {
      throw new UnsupportedTypeException(name + ": " + type.onnxName() + " (sub-byte elements) is not supported");
    }
    int width = type.bitsPerElement() / 8;
    if (count > HostTensor.MAX_BYTES / width) {
      throw new InvalidModelException(name + ": " + Dims.format(dims) + " " + type.onnxName()
          + " is larger than one buffer holds");
    }
    int n = (int) count;
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      if (raw.size() != (long) n * width) {
        throw new InvalidModelException(name + ": raw_data has " + raw.size() + " bytes, dims "
            + Dims.format(dims) + " of " + type.onnxName() + " need " + (long) n * width);
      }
      ByteBuffer out = HostTensor.allocate(type, n);
      raw.copyTo(out);
      out.flip();
      return HostTensor.of(type, dims, out);
    }
    ByteBuffer out = HostTensor.allocate(type, n);
    switch (type) {
      case FLOAT -> {
        check(name, "float_data", t.getFloatDataCount(), n, dims);
        for (int i = 0; i < n; i++) {
          out.putFloat(i * 4, t.getFloatData(i));
        }
      }
      case COMPLEX64 -> {
        check(name, "float_data", t.getFloatDataCount(), 2L * n, dims);
        for (int i = 0; i < 2 * n; i++) {
          out.putFloat(i * 4, t.getFloatData(i));
        }
      }
      case DOUBLE -> {
        check(name, "double_data", t.getDoubleDataCount(), n, dims);
        for (int i = 0; i < n; i++) {
          out.putDouble(i * 8, t.getDoubleData(i));
        }
      }
      case COMPLEX128 -> {
        check(name, "double_data", t.getDoubleDataCount(), 2L * n, dims);
        for (int i = 0; i < 2 * n; i++) {
          out.putDouble(i * 8, t.getDoubleData(i));
        }
      }
      case INT64 -> {
        check(name, "int64_data", t.getInt64DataCount(), n, dims);
        putLongs(out, type, t.getInt64DataList(), n);
      }
      case UINT32, UINT64 -> {
        check(name, "uint64_data", t.getUint64DataCount(), n, dims);
        putLongs(out, type, t.getUint64DataList(), n);
      }
      case INT8, UINT8, INT16, UINT16, INT32, BOOL, FLOAT16, BFLOAT16,
          FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT8E8M0 -> {
        check(name, "int32_data", t.getInt32DataCount(), n, dims);
        for (int i = 0; i < n; i++) {
          int v = t.getInt32Data(i);
          switch (width) {
            case 1 -> out.put(i, (byte) v);
            case 2 -> out.putShort(i * 2, (short) v);
            default -> out.putInt(i * 4, v);
          }
        }
      }
      default -> throw new UnsupportedTypeException(name + ": element type " + type.onnxName()
          + " is not supported");
    }
    return HostTensor.of(type, dims, out.order(ByteOrder.LITTLE_ENDIAN));
  }

  private static void putLongs(ByteBuffer out, DataType type, List<Long> values, int n) {
    for (int i = 0; i < n; i++) {
      HostTensor.putLong(out, type, i, values.get(i));
    }
  }

  private static void check(String name, String field, long have, long want, long[] dims)
      throws InvalidModelException {
    if (have != want) {
      throw new InvalidModelException(name + ": " + field + " has " + have + " values, dims "
          + Dims.format(dims) + " need " + want);
    }
  }
}
