package dev.zeroinit.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.BFloat16;
import dev.zeroinit.onnxio.tensor.DataType;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * TensorProto to HostTensor for the typed fields (the backend suite mostly uses raw_data), and the
 * round trip through ORT tensors for every type the Java API creates.
 */
class TensorProtosTest {
  private static TensorProto.Builder t(DataType type, long... dims) {
    TensorProto.Builder b = TensorProto.newBuilder().setName("t").setDataType(type.code());
    for (long d : dims) {
      b.addDims(d);
    }
    return b;
  }

  @Test
  void typedFieldsOfEveryKind() throws Exception {
    HostTensor f = TensorProtos.toHost(t(DataType.FLOAT, 2).addFloatData(1.5f).addFloatData(-2).build());
    assertEquals(-2.0, f.getDouble(1));
    HostTensor d = TensorProtos.toHost(t(DataType.DOUBLE, 1).addDoubleData(Math.PI).build());
    assertEquals(Math.PI, d.getDouble(0));
    HostTensor i8 = TensorProtos.toHost(t(DataType.INT8, 2).addInt32Data(-5).addInt32Data(100).build());
    assertEquals(-5, i8.getLong(0));
    HostTensor u16 = TensorProtos.toHost(t(DataType.UINT16, 1).addInt32Data(65535).build());
    assertEquals(65535, u16.getLong(0));
    HostTensor b = TensorProtos.toHost(t(DataType.BOOL, 2).addInt32Data(1).addInt32Data(0).build());
    assertEquals(1, b.getLong(0));
    short bits = BFloat16.fromDouble(-3.25);
    HostTensor bf = TensorProtos.toHost(t(DataType.BFLOAT16, 1).addInt32Data(bits & 0xFFFF).build());
    assertEquals(-3.25, bf.getDouble(0));
    HostTensor i64 = TensorProtos.toHost(t(DataType.INT64, 1).addInt64Data(Long.MIN_VALUE).build());
    assertEquals(Long.MIN_VALUE, i64.getLong(0));
    HostTensor u64 = TensorProtos.toHost(t(DataType.UINT64, 1).addUint64Data(-1L).build());
    assertEquals(-1L, u64.getLong(0));
    assertEquals(Math.pow(2, 64), u64.getDouble(0));
    HostTensor u32 = TensorProtos.toHost(t(DataType.UINT32, 1).addUint64Data(4_000_000_000L).build());
    assertEquals(4_000_000_000L, u32.getLong(0));
    HostTensor s = TensorProtos.toHost(t(DataType.STRING, 2).addStringData(ByteString.copyFromUtf8("ä"))
        .addStringData(ByteString.copyFrom("b", StandardCharsets.UTF_8)).build());
    assertArrayEquals(new String[] {"ä", "b"}, s.stringValues());
    HostTensor scalar = TensorProtos.toHost(t(DataType.FLOAT).addFloatData(7).build());
    assertArrayEquals(new long[0], scalar.shape());
    assertEquals(7.0, scalar.getDouble(0));
  }

  @Test
  void lengthsMustMatchTheDims() {
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> TensorProtos.toHost(t(DataType.FLOAT, 3).addFloatData(1).build()));
    assertTrue(e.getMessage().contains("float_data has 1 values, dims 3 need 3"), e.getMessage());
    InvalidModelException raw = assertThrows(InvalidModelException.class,
        () -> TensorProtos.toHost(t(DataType.INT32, 2).setRawData(ByteString.copyFrom(new byte[7])).build()));
    assertTrue(raw.getMessage().contains("raw_data has 7 bytes"), raw.getMessage());
    assertThrows(InvalidModelException.class,
        () -> TensorProtos.toHost(t(DataType.FLOAT, 1L << 40, 1L << 40).build()));
    assertThrows(UnsupportedTypeException.class,
        () -> TensorProtos.toHost(t(DataType.INT4, 2).setRawData(ByteString.copyFrom(new byte[1])).build()));
  }

  @Test
  void everyTypeTheJavaApiCreatesRoundTripsThroughOrt() throws Exception {
    for (DataType type : DataType.values()) {
      if (!OrtTensors.canCreate(type)) {
        continue;
      }
      TensorProto.Builder b = t(type, 2, 2);
      if (type == DataType.STRING) {
        for (String v : new String[] {"a", "", "xyz", "ü"}) {
          b.addStringData(ByteString.copyFromUtf8(v));
        }
      } else {
        byte[] raw = new byte[4 * type.bitsPerElement() / 8];
        for (int i = 0; i < raw.length; i++) {
          raw[i] = (byte) (type == DataType.BOOL ? i % 2 : 17 * i + 3);
        }
        b.setRawData(ByteString.copyFrom(raw));
      }
      HostTensor host = TensorProtos.toHost(b.build());
      try (OnnxTensor ort = OrtTensors.create(OrtRuntime.environment(), host)) {
        assertEquals(type, OrtTensors.dataType(ort.getInfo().onnxType), type.onnxName());
        HostTensor back = OrtTensors.read(ort);
        assertEquals(null, TensorCompare.mismatch(host, back, 0, 0), type.onnxName());
      }
    }
  }
}
