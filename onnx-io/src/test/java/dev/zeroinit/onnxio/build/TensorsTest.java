package dev.zeroinit.onnxio.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorsTest {

  @Test
  void floatsAreRawLittleEndian() {
    Onnx.TensorProto t = Tensors.of("w", DataType.FLOAT, new long[] {2, 2}, new float[] {1, 2, 3, -4});
    assertEquals("w", t.getName());
    assertEquals(DataType.FLOAT_VALUE, t.getDataType());
    assertEquals(java.util.List.of(2L, 2L), t.getDimsList());
    assertEquals(0, t.getFloatDataCount());
    ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] back = new float[4];
    raw.asFloatBuffer().get(back);
    assertArrayEquals(new float[] {1, 2, 3, -4}, back);
    byte[] bytes = t.getRawData().toByteArray();
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f}, java.util.Arrays.copyOf(bytes, 4));
  }

  @Test
  void sixteenBitAndDoubleTypes() {
    long[] dims = {2};
    byte[] half = Tensors.of("h", DataType.FLOAT16_VALUE, dims, new float[] {1, -2}).getRawData()
        .toByteArray();
    assertArrayEquals(new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0}, half);
    byte[] bf = Tensors.of("b", DataType.BFLOAT16_VALUE, dims, new float[] {1, -2}).getRawData()
        .toByteArray();
    assertArrayEquals(new byte[] {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0}, bf);
    Onnx.TensorProto d = Tensors.of("d", DataType.DOUBLE_VALUE, dims, new double[] {0.1, 3});
    double[] back = new double[2];
    d.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(back);
    assertArrayEquals(new double[] {0.1, 3}, back);
    Onnx.TensorProto fromDoubles = Tensors.of("f", DataType.FLOAT_VALUE, dims, new double[] {0.1, 3});
    assertEquals(8, fromDoubles.getRawData().size());
  }

  @Test
  void int64AndScalars() {
    Onnx.TensorProto t = Tensors.int64Vector("shape", 1, -1);
    assertEquals(DataType.INT64_VALUE, t.getDataType());
    assertEquals(16, t.getRawData().size());
    assertEquals(-1L, t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getLong(8));
    Onnx.TensorProto scalar = Tensors.of("s", DataType.FLOAT_VALUE, new long[0], new float[] {5});
    assertEquals(0, scalar.getDimsCount());
    assertEquals(4, scalar.getRawData().size());
  }

  @Test
  void refusesWrongCountsAndTypes() {
    assertThrows(IllegalArgumentException.class,
        () -> Tensors.of("w", DataType.FLOAT_VALUE, new long[] {2, 3}, new float[5]));
    assertThrows(IllegalArgumentException.class,
        () -> Tensors.of("w", DataType.INT8_VALUE, new long[] {1}, new float[1]));
    assertThrows(IllegalArgumentException.class, () -> Tensors.elementCount(new long[] {-1}));
    assertTrue(Tensors.isSupportedFloatType(DataType.BFLOAT16_VALUE));
    assertEquals("FLOAT16", Tensors.typeName(10));
    assertEquals("type 999", Tensors.typeName(999));
  }
}
