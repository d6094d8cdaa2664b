package dev.zeroinit.onnxio.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataTypeTest {
  @Test
  void codesAndNamesMatchTheProjectSchema() throws InvalidModelException {
    int checked = 0;
    for (Onnx.TensorProto.DataType p : Onnx.TensorProto.DataType.values()) {
      DataType t = DataType.fromCode(p.getNumber());
      assertEquals(p.getNumber(), t.code());
      assertEquals(p.name(), t.onnxName());
      checked++;
    }
    assertEquals(DataType.values().length, checked);
    assertEquals("FLOAT16", DataType.FLOAT16.onnxName());
    assertEquals(26, DataType.INT2.code());
  }

  @Test
  void unknownCodesAreInvalidModels() {
    for (int code : new int[] {-1, 27, 1000, Integer.MIN_VALUE}) {
      InvalidModelException e =
          assertThrows(InvalidModelException.class, () -> DataType.fromCode(code));
      assertEquals("unknown tensor data type " + code, e.getMessage());
    }
  }

  @Test
  void elementWidths() {
    assertEquals(32, DataType.FLOAT.bitsPerElement());
    assertEquals(16, DataType.FLOAT16.bitsPerElement());
    assertEquals(16, DataType.BFLOAT16.bitsPerElement());
    assertEquals(64, DataType.DOUBLE.bitsPerElement());
    assertEquals(128, DataType.COMPLEX128.bitsPerElement());
    assertEquals(8, DataType.BOOL.bitsPerElement());
    assertEquals(8, DataType.FLOAT8E8M0.bitsPerElement());
    assertEquals(0, DataType.STRING.bitsPerElement());
    assertEquals(0, DataType.UNDEFINED.bitsPerElement());
    for (DataType t : EnumSet.of(DataType.UINT4, DataType.INT4, DataType.FLOAT4E2M1)) {
      assertEquals(4, t.bitsPerElement(), t.name());
    }
    assertEquals(2, DataType.UINT2.bitsPerElement());
    assertEquals(2, DataType.INT2.bitsPerElement());
  }

  @Test
  void zeroInitFloatsAreExactlyTheFourRewrittenTypes() {
    Set<DataType> floats =
        EnumSet.of(DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE);
    for (DataType t : DataType.values()) {
      assertEquals(floats.contains(t), t.isZeroInitFloat(), t.name());
    }
  }

  @Test
  void integerTypes() {
    Set<DataType> ints = EnumSet.of(DataType.UINT8, DataType.INT8, DataType.UINT16, DataType.INT16,
        DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64, DataType.UINT4,
        DataType.INT4, DataType.UINT2, DataType.INT2);
    for (DataType t : DataType.values()) {
      assertEquals(ints.contains(t), t.isInteger(), t.name());
    }
    assertFalse(DataType.BOOL.isInteger());
  }

  @Test
  void rawByteLengthPacksSubByteTypesAndRoundsUp() {
    assertEquals(0, DataType.rawByteLength(DataType.FLOAT, 0));
    assertEquals(24, DataType.rawByteLength(DataType.FLOAT, 6));
    assertEquals(12, DataType.rawByteLength(DataType.BFLOAT16, 6));
    assertEquals(48, DataType.rawByteLength(DataType.DOUBLE, 6));
    assertEquals(3, DataType.rawByteLength(DataType.INT4, 5));
    assertEquals(3, DataType.rawByteLength(DataType.UINT4, 6));
    assertEquals(2, DataType.rawByteLength(DataType.INT2, 5));
    assertEquals(1, DataType.rawByteLength(DataType.UINT2, 4));
    assertEquals(1L << 61, DataType.rawByteLength(DataType.INT4, 1L << 62));
    assertEquals((Long.MAX_VALUE >> 2) + 1, DataType.rawByteLength(DataType.INT2, Long.MAX_VALUE));
  }

  @Test
  void rawByteLengthRejectsOverflowNegativeCountsAndVariableWidthTypes() {
    assertThrows(ArithmeticException.class, () -> DataType.rawByteLength(DataType.FLOAT, 1L << 62));
    assertThrows(ArithmeticException.class,
        () -> DataType.rawByteLength(DataType.COMPLEX128, Long.MAX_VALUE / 8));
    assertThrows(IllegalArgumentException.class, () -> DataType.rawByteLength(DataType.FLOAT, -1));
    assertThrows(IllegalArgumentException.class, () -> DataType.rawByteLength(DataType.STRING, 1));
    assertSame(DataType.UNDEFINED, DataType.values()[0]);
    assertTrue(Long.MAX_VALUE / 16 * 16 == DataType.rawByteLength(DataType.COMPLEX128, Long.MAX_VALUE / 16));
  }
}
