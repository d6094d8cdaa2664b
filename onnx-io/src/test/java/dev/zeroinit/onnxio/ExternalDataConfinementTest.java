package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.SparseTensorProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External data locations are confined to the model's folder (DESIGN §6): every way out, and every
 * region that does not fit its file or its tensor, is refused by {@link OnnxModel#read} with one line
 * naming the problem.
 */
class ExternalDataConfinementTest {
  private static final float[] WEIGHTS = {0.5f, -1.25f, 2f, 3.75f};
  private static final int WEIGHT_BYTES = WEIGHTS.length * 4;

  @TempDir Path tmp;
  /** The model's folder; {@code tmp} itself is "outside". */
  private Path folder;

  @BeforeEach
  void folders() throws IOException {
    folder = Files.createDirectory(tmp.resolve("model"));
    Files.write(tmp.resolve("x.bin"), floatBytes()); // a valid-looking file outside the folder
  }

  @Test
  void anAbsoluteLocationIsRefused() throws Exception {
    assertRefused(external("/etc/passwd", 0, WEIGHT_BYTES), "/etc/passwd", "absolute");
  }

  @Test
  void aParentSegmentIsRefused() throws Exception {
    assertRefused(external("../x.bin", 0, WEIGHT_BYTES), "../x.bin", "'..'");
    Files.createDirectory(folder.resolve("a"));
    assertRefused(external("a/../../x.bin", 0, WEIGHT_BYTES), "a/../../x.bin", "'..'");
    assertRefused(external("a\\..\\..\\x.bin", 0, WEIGHT_BYTES), "..", "'..'");
  }

  @Test
  void aSymbolicLinkOutOfTheFolderIsRefused() throws Exception {
    Files.createSymbolicLink(folder.resolve("link.bin"), tmp.resolve("x.bin"));
    assertRefused(external("link.bin", 0, WEIGHT_BYTES), "link.bin", "symbolic link");
    Files.createSymbolicLink(folder.resolve("linkdir"), tmp);
    assertRefused(external("linkdir/x.bin", 0, WEIGHT_BYTES), "linkdir/x.bin", "symbolic link");
  }

  @Test
  void aSymbolicLinkToADeviceIsRefused() throws Exception {
    Path link = Files.createSymbolicLink(folder.resolve("zero.bin"), Path.of("/dev/zero"));
    String message;
    try {
      message = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> refusal(external("zero.bin", 0, WEIGHT_BYTES)));
    } finally {
      Files.delete(link); // JUnit would warn about a link out of its temp folder
    }
    assertTrue(message.contains("zero.bin"), message);
    assertTrue(message.contains("symbolic link") || message.contains("not a regular file"), message);
  }

  @Test
  void aPipeInsideTheFolderIsRefusedWithoutBlocking() throws Exception {
    Path fifo = folder.resolve("pipe.bin");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0 && Files.exists(fifo),
        "mkfifo is not available");
    String message = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> refusal(external("pipe.bin", 0, WEIGHT_BYTES)));
    assertTrue(message.contains("pipe.bin") && message.contains("not a regular file"), message);
  }

  @Test
  void aFolderIsRefused() throws Exception {
    Files.createDirectory(folder.resolve("weights"));
    assertRefused(external("weights", 0, WEIGHT_BYTES), "weights", "is a folder");
  }

  @Test
  void aMissingFileIsRefused() throws Exception {
    assertRefused(external("missing.bin", 0, WEIGHT_BYTES), "missing.bin", "not found");
  }

  @Test
  void aRegionBeyondTheEndOfTheFileIsRefused() throws Exception {
    Files.write(folder.resolve("w.bin"), floatBytes());
    assertRefused(external("w.bin", 4, WEIGHT_BYTES), "w.bin", "beyond the end");
    assertRefused(external("w.bin", WEIGHT_BYTES + 1, -1), "w.bin", "beyond the end");
    assertRefused(external("w.bin", Long.MAX_VALUE, WEIGHT_BYTES), "w.bin", "beyond the end");
    // offset + length overflows a long: still beyond the end, not a length mismatch
    assertRefused(external("w.bin", 8, Long.MAX_VALUE), "w.bin", "beyond the end");
  }

  @Test
  void anOverflowingRegionOfATensorWithoutFixedWidthIsRefused() throws Exception {
    // STRING has no raw width, so only the bounds check stands between the file and this region
    Files.write(folder.resolve("w.bin"), floatBytes());
    ModelProto model = external("w.bin", 8, Long.MAX_VALUE);
    TensorProto w = model.getGraph().getInitializer(0).toBuilder()
        .setDataType(TensorProto.DataType.STRING_VALUE).build();
    model = model.toBuilder().setGraph(model.getGraph().toBuilder().setInitializer(0, w)).build();
    assertRefused(model, "w.bin", "beyond the end");
  }

  @Test
  void aLengthThatDoesNotMatchTheDimsIsRefused() throws Exception {
    byte[] twice = new byte[2 * WEIGHT_BYTES];
    Files.write(folder.resolve("w.bin"), twice);
    assertRefused(external("w.bin", 0, WEIGHT_BYTES + 4), "'w'", "dims and type need " + WEIGHT_BYTES);
    assertRefused(external("w.bin", 0, -1), "'w'", "dims and type need " + WEIGHT_BYTES);
  }

  @Test
  void aNonNumericOffsetIsRefused() throws Exception {
    Files.write(folder.resolve("w.bin"), floatBytes());
    ModelProto model = withExternal(ref("location", "w.bin"), ref("offset", "sixteen"),
        ref("length", Integer.toString(WEIGHT_BYTES)));
    assertRefused(model, "'sixteen'", "offset");
    model = withExternal(ref("location", "w.bin"), ref("offset", "-4"));
    assertRefused(model, "'-4'", "offset");
  }

  @Test
  void anEmptyLocationIsRefused() throws Exception {
    assertRefused(external("", 0, WEIGHT_BYTES), "'w'", "no external_data location");
    assertRefused(withExternal(ref("length", Integer.toString(WEIGHT_BYTES))), "'w'",
        "no external_data location");
  }

  @Test
  void duplicateInitializersAreRefusedAndSparsePartsKeepTheirOwnRegions() throws Exception {
    // the reader keys regions by site; two initializers of one name cannot be told apart
    byte[] data = new byte[2 * WEIGHT_BYTES];
    Files.write(folder.resolve("w.bin"), data);
    ModelProto model = external("w.bin", 0, WEIGHT_BYTES);
    TensorProto twin = model.getGraph().getInitializer(0).toBuilder()
        .setExternalData(1, ref("offset", Integer.toString(WEIGHT_BYTES))).build();
    ModelProto repeated = model.toBuilder()
        .setGraph(model.getGraph().toBuilder().addInitializer(twin)).build();
    assertRefused(repeated, "initializer 'w'", "more than one external tensor");

    TensorProto values = model.getGraph().getInitializer(0).toBuilder().setName("sp").build();
    TensorProto indices = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(2).setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(ref("location", "w.bin"))
        .addExternalData(ref("offset", Integer.toString(WEIGHT_BYTES)))
        .addExternalData(ref("length", Integer.toString(WEIGHT_BYTES))).build();
    ModelProto sparse = model.toBuilder().setGraph(model.getGraph().toBuilder()
        .addSparseInitializer(SparseTensorProto.newBuilder()
            .setValues(values).setIndices(indices).addDims(8))).build();
    try (OnnxModel read = OnnxModel.read(save(sparse))) {
      var offsets = read.externalRegions().values().stream().map(r -> r.offset()).sorted().toList();
      assertEquals(List.of(0L, 0L, (long) WEIGHT_BYTES), offsets, "values and indices each have a region");
    }
  }

  @Test
  void aFileInASubfolderIsAccepted() throws Exception {
    Path data = Files.createDirectory(folder.resolve("weights")).resolve("w.bin");
    byte[] padded = new byte[8 + WEIGHT_BYTES];
    System.arraycopy(floatBytes(), 0, padded, 8, WEIGHT_BYTES);
    Files.write(data, padded);
    Path file = save(external("weights/w.bin", 8, WEIGHT_BYTES));
    try (OnnxModel model = OnnxModel.read(file)) {
      assertEquals(1, model.externalRegions().size());
      Map.Entry<TensorSite, ?> only = model.externalRegions().entrySet().iterator().next();
      TensorSite site = only.getKey();
      assertEquals(TensorSite.initializer(TensorWalker.MAIN_GRAPH, "w"), site);
      assertEquals(data.toRealPath(), model.externalRegions().get(site).file());
      assertEquals(8, model.externalRegions().get(site).offset());
      TensorProto w = model.proto().getGraph().getInitializer(0);
      double[] values = TensorCodec.decode(w, model.rawBytes(site, w));
      double[] expected = new double[WEIGHTS.length];
      for (int i = 0; i < WEIGHTS.length; i++) {
        expected[i] = WEIGHTS[i];
      }
      assertArrayEquals(expected, values);
    }
  }

  // ---- helpers ----

  private void assertRefused(ModelProto model, String... fragments) throws IOException {
    String message = refusal(model);
    for (String f : fragments) {
      assertTrue(message.contains(f), "'" + message + "' should mention " + f);
    }
  }

  /** Saves {@code model} as model.onnx in the folder and returns the refusal's message. */
  private String refusal(ModelProto model) throws IOException {
    Path file = save(model);
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> {
      try (OnnxModel m = OnnxModel.read(file)) {
        m.proto(); // not reached when refused
      }
    });
    assertEquals(file, e.file(), "the refusal names the model file");
    assertFalse(e.oneLine().contains("\n"), "one line: " + e.oneLine());
    return e.getMessage();
  }

  private Path save(ModelProto model) throws IOException {
    Path file = folder.resolve("model.onnx");
    Files.write(file, model.toByteArray());
    return file;
  }

  /** The tiny model with its initializer 'w' in external data at location/offset/length (-1: none). */
  private static ModelProto external(String location, long offset, long length) {
    return length < 0
        ? withExternal(ref("location", location), ref("offset", Long.toString(offset)))
        : withExternal(ref("location", location), ref("offset", Long.toString(offset)),
            ref("length", Long.toString(length)));
  }

  /** y = x + w, with w [4] float marked EXTERNAL with the given entries and no raw data. */
  private static ModelProto withExternal(StringStringEntryProto... entries) {
    ModelBuilder m = new ModelBuilder("confined");
    var g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 4);
    String w = g.initializer(Tensors.of("w", TensorProto.DataType.FLOAT, new long[] {4}, WEIGHTS));
    g.output(g.add(x, w));
    ModelProto model = m.build();
    TensorProto.Builder t = model.getGraph().getInitializer(0).toBuilder()
        .clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL);
    for (StringStringEntryProto e : entries) {
      t.addExternalData(e);
    }
    return model.toBuilder().setGraph(model.getGraph().toBuilder().setInitializer(0, t)).build();
  }

  private static StringStringEntryProto ref(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static byte[] floatBytes() {
    ByteBuffer b = ByteBuffer.allocate(WEIGHT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : WEIGHTS) {
      b.putFloat(f);
    }
    return b.array();
  }
}
