package dev.zeroinit.onnxio.build;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.AttributeProto.AttributeType;

/**
 * Short factories for node attributes, so that a node reads like its ONNX text form:
 * {@code node("Conv", in, out, Attr.i("group", 2), Attr.ints("pads", 1, 1, 1, 1))}.
 */
public final class Attr {
  private Attr() {}

  /** An INT attribute. */
  public static Onnx.AttributeProto i(String name, long value) {
    return base(name, AttributeType.INT).setI(value).build();
  }

  /** A FLOAT attribute. */
  public static Onnx.AttributeProto f(String name, float value) {
    return base(name, AttributeType.FLOAT).setF(value).build();
  }

  /** A STRING attribute, stored as UTF-8 bytes. */
  public static Onnx.AttributeProto s(String name, String value) {
    return base(name, AttributeType.STRING).setS(ByteString.copyFromUtf8(value)).build();
  }

  /** An INTS attribute. */
  public static Onnx.AttributeProto ints(String name, long... values) {
    Onnx.AttributeProto.Builder b = base(name, AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  /** A FLOATS attribute. */
  public static Onnx.AttributeProto floats(String name, float... values) {
    Onnx.AttributeProto.Builder b = base(name, AttributeType.FLOATS);
    for (float v : values) {
      b.addFloats(v);
    }
    return b.build();
  }

  /** A STRINGS attribute, each stored as UTF-8 bytes. */
  public static Onnx.AttributeProto strings(String name, String... values) {
    Onnx.AttributeProto.Builder b = base(name, AttributeType.STRINGS);
    for (String v : values) {
      b.addStrings(ByteString.copyFromUtf8(v));
    }
    return b.build();
  }

  /** A TENSOR attribute (for example the value of a Constant node). */
  public static Onnx.AttributeProto t(String name, Onnx.TensorProto value) {
    return base(name, AttributeType.TENSOR).setT(value).build();
  }

  /** A GRAPH attribute (the body of an If, Loop or Scan). */
  public static Onnx.AttributeProto g(String name, Onnx.GraphProto value) {
    return base(name, AttributeType.GRAPH).setG(value).build();
  }

  private static Onnx.AttributeProto.Builder base(String name, AttributeType type) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("an attribute needs a name");
    }
    return Onnx.AttributeProto.newBuilder().setName(name).setType(type);
  }
}
