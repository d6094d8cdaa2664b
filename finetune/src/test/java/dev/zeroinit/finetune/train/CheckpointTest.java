package dev.zeroinit.finetune.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.finetune.TrainStepGraph.Role;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint file: its layout, a round trip, atomic replacement, and damaged files refused. */
class CheckpointTest {

  static ByteBuffer floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.flip();
  }

  static Checkpoint sample(int epochs) {
    ByteBuffer step = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 37);
    return new Checkpoint(epochs, 37L * epochs, 7, Map.of("--lr", "0.1", "--batch", "64"),
        "sha256:abc", "train: 100 samples",
        List.of(new EpochMetrics(1, 37, 0.1, 1.25, 0.5, Double.NaN, Double.NaN, 1234.5)),
        List.of(new Checkpoint.Tensor("fc.weight", Role.PARAMETER, 1, new long[] {2, 3},
                floats(1, -2, 3.5f, 0, Float.MIN_VALUE, -0f)),
            new Checkpoint.Tensor("fc.weight.momentum", Role.MOMENTUM, 1, new long[] {2, 3},
                floats(0.25f, 0, 0, 0, 0, 1e-30f)),
            new Checkpoint.Tensor("step", Role.STEP, 7, new long[0], step)));
  }

  @Test
  void roundTripsEveryField(@TempDir Path dir) throws Exception {
    Checkpoint c = sample(1);
    long size = c.write(dir);
    Path f = Checkpoint.file(dir);
    assertEquals(size, Files.size(f));
    Checkpoint r = Checkpoint.read(f);
    assertEquals(1, r.epochsDone());
    assertEquals(37, r.stepsDone());
    assertEquals(7, r.seed());
    assertEquals(c.options(), r.options());
    assertEquals("sha256:abc", r.model());
    assertEquals("train: 100 samples", r.data());
    assertEquals(c.history(), r.history(), "NaN comes back as NaN");
    assertEquals(c.tensors(), r.tensors());
    for (Checkpoint.Tensor t : r.tensors()) {
      assertTrue(t.data().isDirect(), "read into direct buffers for ONNX Runtime");
    }
  }

  @Test
  void layoutIsMagicHeaderDataAndChecksum(@TempDir Path dir) throws Exception {
    sample(1).write(dir);
    byte[] bytes = Files.readAllBytes(Checkpoint.file(dir));
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals("ZICKPT01", new String(bytes, 0, 8, StandardCharsets.US_ASCII));
    int h = b.getInt(8);
    JsonNode header = new ObjectMapper().readTree(Arrays.copyOfRange(bytes, 12, 12 + h));
    assertEquals(1, header.get("format").asInt());
    assertEquals(1, header.get("epochsDone").asInt());
    assertEquals("0.1", header.get("options").get("--lr").asText());
    assertTrue(header.get("history").get(0).get("testLoss").isNull());
    assertEquals(3, header.get("tensors").size());
    assertEquals("MOMENTUM", header.get("tensors").get(1).get("role").asText());
    assertEquals(24, header.get("tensors").get(0).get("bytes").asInt());
    assertEquals(12 + h + 24 + 24 + 8 + 8, bytes.length);
    int data = 12 + h;
    assertEquals(1f, b.getFloat(data), 0f);
    assertEquals(-2f, b.getFloat(data + 4), 0f);
    assertEquals(0.25f, b.getFloat(data + 24), 0f);
    assertEquals(37, b.getLong(data + 48));
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 8);
    assertEquals(crc.getValue(), b.getLong(bytes.length - 8));
  }

  @Test
  void aNewCheckpointReplacesTheLastOneAndLeavesNoTempFile(@TempDir Path dir) throws Exception {
    sample(1).write(dir.resolve("ck"));
    sample(2).write(dir.resolve("ck"));
    assertEquals(2, Checkpoint.read(Checkpoint.file(dir.resolve("ck"))).epochsDone());
    try (Stream<Path> s = Files.list(dir.resolve("ck"))) {
      assertEquals(List.of(Checkpoint.FILE_NAME), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void damagedFilesAreRefusedWithOneLine(@TempDir Path dir) throws Exception {
    sample(1).write(dir);
    Path f = Checkpoint.file(dir);
    byte[] good = Files.readAllBytes(f);
    int h = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getInt(8);

    byte[] flipped = good.clone();
    flipped[12 + h + 5] ^= 1;
    assertRefused(dir, flipped, "checksum mismatch");

    assertRefused(dir, Arrays.copyOf(good, good.length - 3), "truncated or damaged");
    assertRefused(dir, Arrays.copyOf(good, 10), "too short");

    byte[] magic = good.clone();
    magic[0] = 'X';
    assertRefused(dir, magic, "not a zero-init checkpoint");

    byte[] hugeHeader = good.clone();
    ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(8, Integer.MAX_VALUE);
    assertRefused(dir, hugeHeader, "does not fit the file");

    // a header that claims a tensor of 2^40 floats is refused before anything is allocated
    String header = new String(good, 12, h, StandardCharsets.UTF_8)
        .replace("\"dims\":[2,3],\"bytes\":24", "\"dims\":[1099511627776],\"bytes\":4398046511104");
    byte[] hb = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer lie = ByteBuffer.allocate(12 + hb.length + good.length - 12 - h)
        .order(ByteOrder.LITTLE_ENDIAN);
    lie.put(good, 0, 8).putInt(hb.length).put(hb).put(good, 12 + h, good.length - 12 - h);
    assertRefused(dir, lie.array(), "holds 4398046511104 bytes, more than one tensor can");

    String badRole = new String(good, 12, h, StandardCharsets.UTF_8).replace("MOMENTUM", "MOMENTUX");
    byte[] rb = badRole.getBytes(StandardCharsets.UTF_8);
    ByteBuffer role = ByteBuffer.allocate(good.length).order(ByteOrder.LITTLE_ENDIAN);
    role.put(good, 0, 8).putInt(rb.length).put(rb).put(good, 12 + h, good.length - 12 - h);
    assertRefused(dir, role.array(), "unknown role");
  }

  private static void assertRefused(Path dir, byte[] content, String expected) throws Exception {
    Path f = dir.resolve("damaged.ckpt");
    Files.write(f, content);
    Checkpoint.BadCheckpointException e = assertThrows(Checkpoint.BadCheckpointException.class,
        () -> Checkpoint.read(f));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void tensorsKeepTheirBytesExactly(@TempDir Path dir) throws Exception {
    sample(3).write(dir);
    Checkpoint r = Checkpoint.read(Checkpoint.file(dir));
    byte[] w = new byte[24];
    r.tensors().get(0).data().duplicate().get(w);
    byte[] expected = new byte[24];
    floats(1, -2, 3.5f, 0, Float.MIN_VALUE, -0f).get(expected);
    assertArrayEquals(expected, w, "-0 and subnormals survive");
  }
}
