package dev.zeroinit.init;

import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reads the small int64 (or int32) constants that shape and axes inputs hold. */
final class Int64Values {
  private static final int MAX_ELEMENTS = 64;

  private Int64Values() { }

  static long[] of(TensorProto t) throws TraceException {
    int type = t.getDataType();
    boolean i64 = type == TensorProto.DataType.INT64_VALUE;
    boolean i32 = type == TensorProto.DataType.INT32_VALUE;
    if (!i64 && !i32) {
      throw new TraceException("shape constant '" + t.getName() + "' is not int64");
    }
    if (t.hasRawData()) {
      ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      int width = i64 ? 8 : 4;
      if (b.remaining() % width != 0 || b.remaining() / width > MAX_ELEMENTS) {
        throw new TraceException("shape constant '" + t.getName() + "' has a malformed length");
      }
      long[] out = new long[b.remaining() / width];
      for (int i = 0; i < out.length; i++) {
        out[i] = i64 ? b.getLong() : b.getInt();
      }
      return out;
    }
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new TraceException("shape constant '" + t.getName() + "' lives in external data");
    }
    if (i64) {
      return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }
    return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
  }
}
