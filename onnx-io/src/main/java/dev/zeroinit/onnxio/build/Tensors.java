package dev.zeroinit.onnxio.build;

import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.Float16;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Factories for small and large dense {@link Onnx.TensorProto}s with their values in {@code raw_data}
 * (little-endian, row-major), as ONNX exporters write them. Floating values given as {@code float[]}
 * or {@code double[]} are stored in any of FLOAT, DOUBLE, FLOAT16 and BFLOAT16; the 16-bit types round
 * to nearest, ties to even.
 */
public final class Tensors {
  private Tensors() {}

  /** A floating tensor of type {@code elemType} holding {@code values} (length = product of dims). */
  public static Onnx.TensorProto of(String name, int elemType, long[] dims, float[] values) {
    checkCount(name, dims, values.length);
    return header(name, elemType, dims).setRawData(rawFloats(elemType, values)).build();
  }

  /** As {@link #of(String, int, long[], float[])} with a {@link Onnx.TensorProto.DataType}. */
  public static Onnx.TensorProto of(
      String name, Onnx.TensorProto.DataType elemType, long[] dims, float[] values) {
    return of(name, elemType.getNumber(), dims, values);
  }

  /**
   * A floating tensor from doubles. DOUBLE keeps them exactly; FLOAT rounds once; FLOAT16 and
   * BFLOAT16 round through float first (a double exactly near a 16-bit tie may round twice).
   */
  public static Onnx.TensorProto of(String name, int elemType, long[] dims, double[] values) {
    checkCount(name, dims, values.length);
    if (elemType == Onnx.TensorProto.DataType.DOUBLE_VALUE) {
      byte[] bytes = new byte[values.length * 8];
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().put(values);
      return header(name, elemType, dims).setRawData(UnsafeByteOperations.unsafeWrap(bytes)).build();
    }
    float[] floats = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      floats[i] = (float) values[i];
    }
    return of(name, elemType, dims, floats);
  }

  /** An INT64 tensor (shapes, axes, pads given as data). */
  public static Onnx.TensorProto int64(String name, long[] dims, long... values) {
    checkCount(name, dims, values.length);
    byte[] bytes = new byte[values.length * 8];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
    return header(name, Onnx.TensorProto.DataType.INT64_VALUE, dims)
        .setRawData(UnsafeByteOperations.unsafeWrap(bytes))
        .build();
  }

  /** A 1-D INT64 tensor of the given values, e.g. the shape input of a Reshape. */
  public static Onnx.TensorProto int64Vector(String name, long... values) {
    return int64(name, new long[] {values.length}, values);
  }

  /** Whether values of this type can be written from floats by this class. */
  public static boolean isSupportedFloatType(int elemType) {
    return elemType == Onnx.TensorProto.DataType.FLOAT_VALUE
        || elemType == Onnx.TensorProto.DataType.DOUBLE_VALUE
        || elemType == Onnx.TensorProto.DataType.FLOAT16_VALUE
        || elemType == Onnx.TensorProto.DataType.BFLOAT16_VALUE;
  }

  /** The number of elements of a shape, refusing negative dims and overflow. */
  public static long elementCount(long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dim in " + Arrays.toString(dims));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  private static Onnx.TensorProto.Builder header(String name, int elemType, long[] dims) {
    Onnx.TensorProto.Builder b = Onnx.TensorProto.newBuilder().setDataType(elemType);
    if (name != null) {
      b.setName(name);
    }
    for (long d : dims) {
      b.addDims(d);
    }
    return b;
  }

  private static ByteString rawFloats(int elemType, float[] values) {
    byte[] bytes;
    switch (elemType) {
      case Onnx.TensorProto.DataType.FLOAT_VALUE -> {
        bytes = new byte[values.length * 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
      }
      case Onnx.TensorProto.DataType.DOUBLE_VALUE -> {
        bytes = new byte[values.length * 8];
        var buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        for (float v : values) {
          buf.put(v);
        }
      }
      case Onnx.TensorProto.DataType.FLOAT16_VALUE, Onnx.TensorProto.DataType.BFLOAT16_VALUE -> {
        boolean half = elemType == Onnx.TensorProto.DataType.FLOAT16_VALUE;
        bytes = new byte[values.length * 2];
        for (int i = 0; i < values.length; i++) {
          short s = half ? Float16.fromDouble(values[i]) : BFloat16.fromDouble(values[i]);
          bytes[2 * i] = (byte) s;
          bytes[2 * i + 1] = (byte) (s >>> 8);
        }
      }
      default -> throw new IllegalArgumentException(
          "cannot write floating values as " + typeName(elemType));
    }
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /** The ONNX name of an element type code, or "type N" when the code is unknown. */
  public static String typeName(int elemType) {
    Onnx.TensorProto.DataType t = Onnx.TensorProto.DataType.forNumber(elemType);
    return t == null ? "type " + elemType : t.name();
  }

  private static void checkCount(String name, long[] dims, int count) {
    long expected = elementCount(dims);
    if (expected != count) {
      throw new IllegalArgumentException(
          "tensor '" + name + "': shape " + Arrays.toString(dims) + " holds " + expected
              + " values, got " + count);
    }
  }
}
