package dev.zeroinit.onnxio.tensor;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The checked location of a float tensor's values: its type, an element count that matches the dims
 * and the data actually present, and either the little-endian bytes or the typed field to read. Built
 * before anything is allocated, so no count read from a file sizes an array unchecked.
 */
final class TensorSource {
  /** Receives decoded values in index order. */
  interface Sink {
    void put(int index, double value);
  }

  final Onnx.TensorProto proto;
  final DataType type;
  final int count;
  /** Exactly {@code count} little-endian elements, or null when the values are in a typed field. */
  final ByteBuffer bytes;

  private TensorSource(Onnx.TensorProto proto, DataType type, int count, ByteBuffer bytes) {
    this.proto = proto;
    this.type = type;
    this.count = count;
    this.bytes = bytes;
  }

  static TensorSource of(Onnx.TensorProto t, ByteBuffer external) throws InvalidModelException {
    DataType type;
    try {
      type = DataType.fromCode(t.getDataType());
    } catch (InvalidModelException e) {
      throw new InvalidModelException(label(t) + ": " + e.getMessage());
    }
    if (!type.isZeroInitFloat()) {
      throw new InvalidModelException(
          label(t) + ": data type " + type.onnxName() + " is not FLOAT, FLOAT16, BFLOAT16 or DOUBLE");
    }
    long count = elementCount(t);
    ByteBuffer bytes;
    String where;
    if (external != null) {
      bytes = external.slice();
      where = "external data";
    } else if (t.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
      throw new InvalidModelException(label(t) + ": data is in external data, which was not supplied");
    } else if (t.hasRawData()) {
      // slice: a ByteString aliasing a larger buffer (the reader parses with aliasing) reads with its
      // position at the tensor's first byte, and the indexed reads below count from 0
      bytes = t.getRawData().asReadOnlyByteBuffer().slice();
      where = "raw_data";
    } else {
      int present = typedCount(t, type);
      if (present != count) {
        throw new InvalidModelException(label(t) + ": " + typedField(type) + " has " + present
            + " values, dims " + dims(t) + " of " + type.onnxName() + " need " + count);
      }
      return new TensorSource(t, type, present, null);
    }
    int width = type.bitsPerElement() / 8;
    long present = bytes.remaining();
    if (present % width != 0 || present / width != count) {
      String need = count > Long.MAX_VALUE / width
          ? "more than " + Long.MAX_VALUE : Long.toString(count * width);
      throw new InvalidModelException(label(t) + ": " + where + " has " + present + " bytes, dims "
          + dims(t) + " of " + type.onnxName() + " need " + need);
    }
    return new TensorSource(t, type, (int) count, bytes.order(ByteOrder.LITTLE_ENDIAN));
  }

  static long elementCount(Onnx.TensorProto t) throws InvalidModelException {
    boolean empty = false;
    for (int i = 0; i < t.getDimsCount(); i++) {
      long d = t.getDims(i);
      if (d < 0) {
        throw new InvalidModelException(label(t) + ": dims " + dims(t) + " has negative dimension " + d);
      }
      empty |= d == 0;
    }
    if (empty) {
      return 0;
    }
    long product = 1;
    for (int i = 0; i < t.getDimsCount(); i++) {
      try {
        product = Math.multiplyExact(product, t.getDims(i));
      } catch (ArithmeticException e) {
        throw new InvalidModelException(
            label(t) + ": dims " + dims(t) + " hold more than " + Long.MAX_VALUE + " elements");
      }
    }
    return product;
  }

  /** Calls {@code sink} with every value, in index order, as an exact double. */
  void forEach(Sink sink) throws InvalidModelException {
    switch (type) {
      case FLOAT:
        if (bytes != null) {
          for (int i = 0; i < count; i++) {
            sink.put(i, bytes.getFloat(i * 4));
          }
        } else {
          for (int i = 0; i < count; i++) {
            sink.put(i, proto.getFloatData(i));
          }
        }
        break;
      case DOUBLE:
        if (bytes != null) {
          for (int i = 0; i < count; i++) {
            sink.put(i, bytes.getDouble(i * 8));
          }
        } else {
          for (int i = 0; i < count; i++) {
            sink.put(i, proto.getDoubleData(i));
          }
        }
        break;
      case FLOAT16:
      case BFLOAT16:
        boolean half = type == DataType.FLOAT16;
        for (int i = 0; i < count; i++) {
          short bits = bytes != null ? bytes.getShort(i * 2) : pattern(i);
          sink.put(i, half ? Float16.toDouble(bits) : BFloat16.toDouble(bits));
        }
        break;
      default:
        throw new AssertionError(type);
    }
  }

  /** int32_data holds each 16-bit pattern zero-extended; a sign-extended pattern is read too. */
  private short pattern(int i) throws InvalidModelException {
    int v = proto.getInt32Data(i);
    if (v < Short.MIN_VALUE || v > 0xFFFF) {
      throw new InvalidModelException(label(proto) + ": int32_data[" + i + "] = " + v
          + " is not a 16-bit " + type.onnxName() + " pattern");
    }
    return (short) v;
  }

  static String label(Onnx.TensorProto t) {
    return "tensor '" + t.getName() + "'";
  }

  static String dims(Onnx.TensorProto t) {
    return t.getDimsList().toString();
  }

  static String typedField(DataType type) {
    switch (type) {
      case FLOAT: return "float_data";
      case DOUBLE: return "double_data";
      case FLOAT16: case BFLOAT16: return "int32_data";
      default: throw new IllegalArgumentException(type + " is not a ZerO float type");
    }
  }

  private static int typedCount(Onnx.TensorProto t, DataType type) {
    switch (type) {
      case FLOAT: return t.getFloatDataCount();
      case DOUBLE: return t.getDoubleDataCount();
      default: return t.getInt32DataCount();
    }
  }
}
