package dev.zeroinit.finetune.train;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.Float16;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.verify.OrtTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tensor bytes between the model's {@code TensorProto}s, direct buffers and ONNX Runtime: every value
 * the loop hands to ORT lives in a direct, little-endian buffer that ORT reads in place.
 */
final class TensorData {
  private TensorData() {}

  /** Bytes of one element of ONNX type {@code elemType}. */
  static int elementBytes(int elemType) {
    try {
      int bits = DataType.fromCode(elemType).bitsPerElement();
      if (bits == 0 || bits % 8 != 0) {
        throw new IllegalArgumentException("element type " + elemType + " has no byte width");
      }
      return bits / 8;
    } catch (InvalidModelException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Bytes of a tensor of {@code dims} (all fixed) and type {@code elemType}. */
  static long byteLength(int elemType, long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("a symbolic dim where a fixed one is needed");
      }
      n = Math.multiplyExact(n, d);
    }
    return Math.multiplyExact(n, elementBytes(elemType));
  }

  /** A zeroed direct buffer of {@code bytes} bytes in native (little-endian) order. */
  static ByteBuffer direct(long bytes) {
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a tensor of " + bytes + " bytes is more than one Java"
          + " buffer can hold (2 GB)");
    }
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalStateException("tensors are passed little-endian; this platform is big-endian");
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The raw little-endian bytes of {@code t} (a main-graph initializer, or a value the step graph's
   * contract makes) in a new direct buffer: from its raw data, its typed fields, or its external data
   * through {@code source} (null for a model built in memory).
   */
  static ByteBuffer rawBytes(Onnx.TensorProto t, OnnxModel source) throws IOException {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long length = byteLength(t.getDataType(), dims);
    ByteBuffer out = direct(length);
    ByteBuffer raw;
    if (ExternalDataRef.isExternal(t)) {
      if (source == null) {
        throw new IOException("tensor '" + t.getName() + "' is external data of a model that has no"
            + " file");
      }
      raw = source.rawBytes(TensorSite.initializer(TensorWalker.MAIN_GRAPH, t.getName()), t);
    } else if (t.hasRawData()) {
      raw = t.getRawData().asReadOnlyByteBuffer();
    } else {
      raw = null;
    }
    if (raw != null) {
      if (raw.remaining() != length) {
        throw new IOException("tensor '" + t.getName() + "' holds " + raw.remaining()
            + " bytes, its dims say " + length);
      }
      out.put(raw.duplicate().order(ByteOrder.LITTLE_ENDIAN));
      return out.flip();
    }
    DataType type = type(t.getDataType());
    if (type == DataType.INT64) {
      for (long v : t.getInt64DataList()) {
        out.putLong(v);
      }
    } else {
      double[] v;
      try {
        v = TensorCodec.decode(t);
      } catch (InvalidModelException e) {
        throw new IOException("tensor '" + t.getName() + "': " + e.getMessage(), e);
      }
      for (double x : v) {
        switch (type) {
          case FLOAT -> out.putFloat((float) x);
          case DOUBLE -> out.putDouble(x);
          case FLOAT16 -> out.putShort(Float16.fromDouble(x));
          case BFLOAT16 -> out.putShort(BFloat16.fromDouble(x));
          default -> throw new IOException("tensor '" + t.getName() + "' is of type "
              + type.onnxName() + ", which the training loop does not carry");
        }
      }
    }
    if (out.position() != length) {
      throw new IOException("tensor '" + t.getName() + "' holds " + out.position()
          + " bytes of values, its dims say " + length);
    }
    return out.flip();
  }

  /**
   * An ORT tensor over {@code data} (a direct buffer, read in place: it must stay unchanged while the
   * tensor is in use, and reachable while the tensor is open).
   */
  static OnnxTensor tensor(OrtEnvironment env, ByteBuffer data, int elemType, long[] dims)
      throws OrtException {
    OnnxJavaType jt = OrtTensors.javaType(type(elemType));
    if (jt == null || jt == OnnxJavaType.STRING) {
      throw new IllegalArgumentException("ONNX Runtime's Java API cannot make a tensor of type "
          + elemType);
    }
    return OnnxTensor.createTensor(env, data.duplicate().order(ByteOrder.LITTLE_ENDIAN), dims, jt);
  }

  /**
   * The bytes of an ORT tensor, without a copy where ORT's Java classes allow it (valid only while the
   * tensor is open), little-endian, position 0.
   */
  static ByteBuffer view(OnnxTensor t) {
    return OrtTensors.view(t).order(ByteOrder.LITTLE_ENDIAN);
  }

  static DataType type(int code) {
    try {
      return DataType.fromCode(code);
    } catch (InvalidModelException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Writes {@code v} as one element of {@code elemType} at index 0 of {@code b}. */
  static void putScalar(ByteBuffer b, int elemType, double v) {
    switch (type(elemType)) {
      case FLOAT -> b.putFloat(0, (float) v);
      case DOUBLE -> b.putDouble(0, v);
      case FLOAT16 -> b.putShort(0, Float16.fromDouble(v));
      case BFLOAT16 -> b.putShort(0, BFloat16.fromDouble(v));
      case INT64 -> b.putLong(0, (long) v);
      default -> throw new IllegalArgumentException("scalar of type " + elemType);
    }
  }

  /** Element {@code i} of a float or integer tensor's bytes, as a double. */
  static double get(ByteBuffer b, int elemType, int i) {
    return switch (type(elemType)) {
      case FLOAT -> b.getFloat(i * 4);
      case DOUBLE -> b.getDouble(i * 8);
      case FLOAT16 -> Float16.toDouble(b.getShort(i * 2));
      case BFLOAT16 -> BFloat16.toDouble(b.getShort(i * 2));
      case INT64 -> b.getLong(i * 8);
      case INT32 -> b.getInt(i * 4);
      default -> throw new IllegalArgumentException("values of type " + elemType);
    };
  }
}
