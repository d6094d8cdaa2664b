package dev.zeroinit.onnxio.tensor;

import static dev.zeroinit.onnxio.tensor.TensorCodecTest.entry;
import static dev.zeroinit.onnxio.tensor.TensorCodecTest.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Malformed tensors are invalid models, with one message that names the tensor and the mismatch. */
class TensorDecodeValidationTest {
  @Test
  void rawDataShorterOrLongerThanTheDimsNeedIsRejected() {
    assertInvalid("tensor 'w': raw_data has 8 bytes, dims [2, 3] of FLOAT need 24",
        tensor("w", DataType.FLOAT, 2, 3).setRawData(ByteString.copyFrom(new byte[8])).build());
    assertInvalid("tensor 'w': raw_data has 25 bytes, dims [2, 3] of FLOAT need 24",
        tensor("w", DataType.FLOAT, 2, 3).setRawData(ByteString.copyFrom(new byte[25])).build());
    assertInvalid("tensor 'h': raw_data has 7 bytes, dims [3] of FLOAT16 need 6",
        tensor("h", DataType.FLOAT16, 3).setRawData(ByteString.copyFrom(new byte[7])).build());
    assertInvalid("tensor 's': raw_data has 0 bytes, dims [] of DOUBLE need 8",
        tensor("s", DataType.DOUBLE).setRawData(ByteString.EMPTY).build());
  }

  @Test
  void aHugeDimsProductIsRejectedBeforeAnythingIsAllocated() {
    assertInvalid("tensor 'big': raw_data has 4 bytes, dims [4611686018427387904] of DOUBLE need more"
            + " than 9223372036854775807",
        tensor("big", DataType.DOUBLE, 1L << 62).setRawData(ByteString.copyFrom(new byte[4])).build());
    assertInvalid("tensor 'big': float_data has 1 values, dims [1000000000000] of FLOAT need 1000000000000",
        tensor("big", DataType.FLOAT, 1_000_000_000_000L).addFloatData(1).build());
  }

  @Test
  void typedFieldsWithTheWrongCountAreRejected() {
    assertInvalid("tensor 'w': float_data has 2 values, dims [3] of FLOAT need 3",
        tensor("w", DataType.FLOAT, 3).addFloatData(1).addFloatData(2).build());
    assertInvalid("tensor 'w': float_data has 2 values, dims [] of FLOAT need 1",
        tensor("w", DataType.FLOAT).addFloatData(1).addFloatData(2).build());
    assertInvalid("tensor 'b': int32_data has 0 values, dims [1] of BFLOAT16 need 1",
        tensor("b", DataType.BFLOAT16, 1).addFloatData(1).build());
    assertInvalid("tensor 'd': double_data has 1 values, dims [2] of DOUBLE need 2",
        tensor("d", DataType.DOUBLE, 2).addDoubleData(1).build());
  }

  @Test
  void externalBytesWithTheWrongLengthAreRejected() {
    Onnx.TensorProto t = tensor("x", DataType.FLOAT, 2)
        .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", "x.bin"))
        .build();
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> TensorCodec.decode(t, ByteBuffer.allocate(12)));
    assertEquals("tensor 'x': external data has 12 bytes, dims [2] of FLOAT need 8", e.getMessage());
    assertInvalid("tensor 'x': data is in external data, which was not supplied", t);
  }

  @Test
  void negativeOrOverflowingDimsAreRejected() {
    Onnx.TensorProto negative = tensor("n", DataType.FLOAT, 2, -3).build();
    assertInvalid("tensor 'n': dims [2, -3] has negative dimension -3", negative);
    InvalidModelException e =
        assertThrows(InvalidModelException.class, () -> TensorCodec.elementCount(negative));
    assertEquals("tensor 'n': dims [2, -3] has negative dimension -3", e.getMessage());
    Onnx.TensorProto overflow = tensor("o", DataType.FLOAT, 1L << 32, 1L << 32).build();
    assertInvalid("tensor 'o': dims [4294967296, 4294967296] hold more than 9223372036854775807"
        + " elements", overflow);
    assertThrows(InvalidModelException.class, () -> TensorCodec.elementCount(overflow));
  }

  @Test
  void nonFloatAndUnknownTypesAreRejected() {
    assertInvalid("tensor 'i': data type INT64 is not FLOAT, FLOAT16, BFLOAT16 or DOUBLE",
        tensor("i", DataType.INT64, 1).addInt64Data(1).build());
    assertInvalid("tensor 'u': data type UNDEFINED is not FLOAT, FLOAT16, BFLOAT16 or DOUBLE",
        Onnx.TensorProto.newBuilder().setName("u").build());
    assertInvalid("tensor 'q': unknown tensor data type 99",
        Onnx.TensorProto.newBuilder().setName("q").setDataType(99).build());
  }

  @Test
  void int32DataOutsideSixteenBitsIsRejected() {
    assertInvalid("tensor 'h': int32_data[1] = 65536 is not a 16-bit FLOAT16 pattern",
        tensor("h", DataType.FLOAT16, 2).addInt32Data(0x3C00).addInt32Data(0x10000).build());
  }

  private static void assertInvalid(String message, Onnx.TensorProto t) {
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> TensorCodec.decode(t));
    assertEquals(message, e.getMessage());
    InvalidModelException f =
        assertThrows(InvalidModelException.class, () -> TensorCodec.decodeFloats(t));
    assertEquals(message, f.getMessage());
  }
}
