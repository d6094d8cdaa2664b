package dev.zeroinit.verify;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.zeroinit.onnxio.tensor.DataType;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link HostTensor} to and from ONNX Runtime's {@link OnnxTensor}. ORT's Java API creates tensors of
 * FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, INT16, INT32, INT64, UINT8, BOOL and STRING; the other ONNX
 * types (UINT16, UINT32, UINT64, complex, 8- and 4-bit floats, 4-bit integers) can be read back from
 * outputs but not created as inputs.
 */
public final class OrtTensors {
  private OrtTensors() { }

  /** The Java-side type ORT uses to create a tensor of {@code type}, or null when it has none. */
  public static OnnxJavaType javaType(DataType type) {
    return switch (type) {
      case FLOAT -> OnnxJavaType.FLOAT;
      case DOUBLE -> OnnxJavaType.DOUBLE;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case BFLOAT16 -> OnnxJavaType.BFLOAT16;
      case INT8 -> OnnxJavaType.INT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case UINT8 -> OnnxJavaType.UINT8;
      case BOOL -> OnnxJavaType.BOOL;
      case STRING -> OnnxJavaType.STRING;
      default -> null;
    };
  }

  /** True when ORT's Java API can create an input tensor of {@code type}. */
  public static boolean canCreate(DataType type) {
    return javaType(type) != null;
  }

  /**
   * A new ORT tensor holding {@code t}'s values (the direct buffer is shared, not copied). The caller
   * closes it.
   *
   * @throws UnsupportedTypeException when ORT's Java API cannot create a tensor of this type
   */
  public static OnnxTensor create(OrtEnvironment env, HostTensor t) throws OrtException, UnsupportedTypeException {
    OnnxJavaType jt = javaType(t.type());
    if (jt == null) {
      throw new UnsupportedTypeException("ONNX Runtime's Java API cannot create a " + t.type().onnxName()
          + " tensor");
    }
    if (jt == OnnxJavaType.STRING) {
      return OnnxTensor.createTensor(env, t.stringValues(), t.shape());
    }
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      throw new UnsupportedTypeException("tensors are passed little-endian; this platform is big-endian");
    }
    ByteBuffer data = t.data();
    ByteBuffer direct = data.isDirect() ? data : ByteBuffer.allocateDirect(data.remaining()).put(data).flip();
    return OnnxTensor.createTensor(env, direct.order(ByteOrder.nativeOrder()), t.shape(), jt);
  }

  /**
   * The ONNX element type of ORT's type enum (whose own numbering differs from ONNX's codes), or null
   * for one this project does not know.
   */
  public static DataType dataType(TensorInfo.OnnxTensorType t) {
    String prefix = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";
    String name = t.name();
    if (!name.startsWith(prefix)) {
      return null;
    }
    try {
      return DataType.valueOf(name.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * A copy of an ORT tensor's values.
   *
   * @throws UnsupportedTypeException for a type whose bytes ORT's Java API does not hand out
   */
  public static HostTensor read(OnnxTensor t) throws OrtException, UnsupportedTypeException {
    TensorInfo info = t.getInfo();
    DataType type = dataType(info.onnxType);
    if (type == null || type == DataType.UNDEFINED) {
      throw new UnsupportedTypeException("output of element type " + info.onnxType);
    }
    long[] shape = info.getShape();
    if (type == DataType.STRING) {
      Object v = t.getValue();
      List<String> flat = new ArrayList<>();
      flatten(v, flat);
      return HostTensor.strings(shape, flat.toArray(String[]::new));
    }
    if (type.bitsPerElement() % 8 != 0 || type.bitsPerElement() == 0) {
      throw new UnsupportedTypeException("output of type " + type.onnxName() + " (sub-byte elements)");
    }
    ByteBuffer raw;
    try {
      raw = t.getByteBuffer();
    } catch (RuntimeException e) {
      throw new UnsupportedTypeException("ONNX Runtime's Java API does not read " + type.onnxName()
          + " tensors: " + e.getMessage());
    }
    if (raw == null) {
      throw new UnsupportedTypeException("ONNX Runtime's Java API does not read " + type.onnxName() + " tensors");
    }
    raw.order(ByteOrder.nativeOrder());
    ByteBuffer copy = HostTensor.allocate(type, Dims.elementCount(shape));
    copy.put(raw).flip();
    return HostTensor.of(type, shape, copy);
  }

  private static final java.lang.reflect.Method VIEW = viewMethod();

  private static java.lang.reflect.Method viewMethod() {
    try {
      java.lang.reflect.Method m = OnnxTensor.class.getDeclaredMethod("getBuffer");
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The tensor's bytes without a copy where ORT's Java classes allow it (their direct view of the
   * native memory, valid only while the tensor is open), else a copy; native byte order, position 0.
   */
  public static ByteBuffer view(OnnxTensor t) {
    if (VIEW != null) {
      try {
        ByteBuffer b = (ByteBuffer) VIEW.invoke(t);
        if (b != null && b.isDirect()) {
          return b.duplicate().order(ByteOrder.nativeOrder());
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // fall back to the copy
      }
    }
    return t.getByteBuffer().order(ByteOrder.nativeOrder());
  }

  private static void flatten(Object v, List<String> out) {
    if (v == null) {
      return;
    }
    if (v instanceof String s) {
      out.add(s);
    } else if (v.getClass().isArray()) {
      for (int i = 0, n = Array.getLength(v); i < n; i++) {
        flatten(Array.get(v, i), out);
      }
    }
  }
}
