package dev.zeroinit.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.tensor.DataType;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The .npy reader against files NumPy wrote (src/test/resources/npy) and against broken ones. */
class NpyReaderTest {
  private static final double[] A = {-0.5, -0.25, 0, 0.25, 0.5, 0.75};

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(NpyReaderTest.class.getResource("/npy/" + name).toURI());
  }

  private static double[] doubles(HostTensor t) {
    double[] v = new double[t.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getDouble(i);
    }
    return v;
  }

  private static long[] longs(HostTensor t) {
    long[] v = new long[t.elementCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getLong(i);
    }
    return v;
  }

  @ParameterizedTest
  @ValueSource(strings = {"f4.npy", "f4_big_endian.npy", "f4_fortran.npy", "f4_v2.npy"})
  void float32InEveryLayoutReadsAsCOrder(String file) throws Exception {
    HostTensor t = NpyReader.read(fixture(file));
    assertEquals(DataType.FLOAT, t.type());
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertArrayEquals(A, doubles(t));
  }

  @Test
  void otherFloatWidths() throws Exception {
    HostTensor f8 = NpyReader.read(fixture("f8.npy"));
    assertEquals(DataType.DOUBLE, f8.type());
    double[] three = new double[A.length];
    for (int i = 0; i < A.length; i++) {
      three[i] = 3 * A[i];
    }
    assertArrayEquals(three, doubles(f8));
    HostTensor f2 = NpyReader.read(fixture("f2.npy"));
    assertEquals(DataType.FLOAT16, f2.type());
    assertArrayEquals(A, doubles(f2));
  }

  @Test
  void integersAndBools() throws Exception {
    HostTensor i8 = NpyReader.read(fixture("i8.npy"));
    assertEquals(DataType.INT64, i8.type());
    assertArrayEquals(new long[] {1, -2, 3, 4, 5, 999}, longs(i8));
    assertArrayEquals(new long[] {7, -8}, longs(NpyReader.read(fixture("i4.npy"))));
    assertArrayEquals(new long[] {-128, 127}, longs(NpyReader.read(fixture("i1.npy"))));
    HostTensor u1 = NpyReader.read(fixture("u1.npy"));
    assertEquals(DataType.UINT8, u1.type());
    assertArrayEquals(new long[] {0, 255}, longs(u1));
    HostTensor u2 = NpyReader.read(fixture("u2.npy"));
    assertEquals(DataType.UINT16, u2.type());
    assertArrayEquals(new long[] {1, 65535}, longs(u2));
    HostTensor b = NpyReader.read(fixture("b1.npy"));
    assertEquals(DataType.BOOL, b.type());
    assertArrayEquals(new long[] {1, 0, 0, 1}, longs(b));
  }

  @Test
  void unicodeStringsScalarsAndEmptyArrays() throws Exception {
    HostTensor s = NpyReader.read(fixture("unicode.npy"));
    assertEquals(DataType.STRING, s.type());
    assertArrayEquals(new long[] {2, 2}, s.shape());
    assertArrayEquals(new String[] {"ab", "ünï", "", "x"}, s.stringValues());
    HostTensor scalar = NpyReader.read(fixture("scalar.npy"));
    assertArrayEquals(new long[0], scalar.shape());
    assertEquals(2.5, scalar.getDouble(0));
    HostTensor empty = NpyReader.read(fixture("empty.npy"));
    assertArrayEquals(new long[] {0, 3}, empty.shape());
    assertEquals(0, empty.elementCount());
  }

  @Test
  void refusesWhatItCannotRead(@TempDir Path dir) throws Exception {
    assertTrue(assertThrows(VerifyInputException.class, () -> NpyReader.read(fixture("c8.npy")))
        .getMessage().contains("'<c8' is not supported"));
    assertTrue(assertThrows(VerifyInputException.class, () -> NpyReader.read(fixture("object.npy")))
        .getMessage().contains("not supported"));
    Path notNpy = Files.writeString(dir.resolve("x.npy"), "hello, this is text");
    assertTrue(assertThrows(VerifyInputException.class, () -> NpyReader.read(notNpy)).getMessage().contains("magic"));
    byte[] good = Files.readAllBytes(fixture("f4.npy"));
    Path truncated = Files.write(dir.resolve("t.npy"), java.util.Arrays.copyOf(good, good.length - 4));
    assertTrue(assertThrows(VerifyInputException.class, () -> NpyReader.read(truncated)).getMessage()
        .contains("needs 24 bytes of data, the file holds 20"));
  }

  @Test
  void aHugeShapeInTheHeaderAllocatesNothing() {
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }";
    ByteBuffer b = npy(header, new byte[8]);
    VerifyInputException e = assertThrows(VerifyInputException.class, () -> NpyReader.parse("big.npy", b));
    assertTrue(e.getMessage().contains("the file holds 8"), e.getMessage());
  }

  @Test
  void handWrittenVersion1HeaderWithPythonTwoLongs() throws Exception {
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(5).putLong(-6);
    HostTensor t = NpyReader.parse("h.npy", npy("{'shape': (2L,), 'fortran_order': False, 'descr': '<i8'}",
        data.array()));
    assertArrayEquals(new long[] {5, -6}, longs(t));
  }

  private static ByteBuffer npy(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) h.length).put(h).put(data);
    return b.flip();
  }
}
