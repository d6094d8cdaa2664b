package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's contracts (DESIGN §6): never modify the input, refuse to overwrite unless asked,
 * replace files atomically, never leave a partial or temp file, and write the same bytes every time.
 */
class ModelWriterTest {
  private static final float[] W1 = {1f, 2f, 3f, 4f};
  private static final float[] W2 = {-1f, -2f, -3f, -4f, -5f, -6f};
  private static final float[] W1_NEW = {0f, 0f, 1f, 0f};

  @TempDir Path tmp;
  /** Holds m.onnx, whose initializers w1 and w2 lie in m.bin. */
  private Path folder;
  private Path source;
  private Path sourceData;

  @BeforeEach
  void writeSourceModel() throws IOException {
    folder = Files.createDirectory(tmp.resolve("src"));
    source = folder.resolve("m.onnx");
    sourceData = folder.resolve("m.bin");
    ByteBuffer data = ByteBuffer.allocate(4 * (W1.length + W2.length)).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : W1) {
      data.putFloat(f);
    }
    for (float f : W2) {
      data.putFloat(f);
    }
    Files.write(sourceData, data.array());
    ModelProto model = tinyModel();
    GraphProto.Builder g = model.getGraph().toBuilder();
    g.setInitializer(0, externalAt(g.getInitializer(0), "m.bin", 0, 16));
    g.setInitializer(1, externalAt(g.getInitializer(1), "m.bin", 16, 24));
    Files.write(source, model.toBuilder().setGraph(g).build().toByteArray());
  }

  @Test
  void anExistingTargetIsRefusedWithoutOverwriteAndLeftUnchanged() throws Exception {
    Path target = tmp.resolve("out.onnx");
    Files.writeString(target, "keep me");
    OnnxModel model = OnnxModel.inMemory(tinyModel());
    WriteRefusedException e = assertThrows(WriteRefusedException.class,
        () -> ModelWriter.write(model, model.proto(), target, WriteOptions.defaults()));
    assertTrue(e.getMessage().contains("exists"), e.getMessage());
    assertEquals("keep me", Files.readString(target));
    assertNoTemps(tmp);

    // an existing data file is refused the same way, before the model file is touched
    Path other = tmp.resolve("other.onnx");
    Files.writeString(tmp.resolve("other.onnx.data"), "keep me too");
    WriteOptions single = WriteOptions.defaults().withLayout(ExternalDataLayout.SINGLE);
    ModelProto big = bigModel();
    e = assertThrows(WriteRefusedException.class,
        () -> ModelWriter.write(null, big, other, single));
    assertTrue(e.getMessage().contains("other.onnx.data"), e.getMessage());
    assertFalse(Files.exists(other));
    assertEquals("keep me too", Files.readString(tmp.resolve("other.onnx.data")));
    assertNoTemps(tmp);

    ModelWriter.write(model, model.proto(), target, WriteOptions.defaults().withOverwrite(true));
    try (OnnxModel back = OnnxModel.read(target)) {
      assertEquals(model.proto(), back.proto());
    }
  }

  @Test
  void theSourceModelAndItsDataFileAreRefusedUnlessInPlace() throws Exception {
    Map<Path, String> before = ExternalDataTest.hashes(source, sourceData);
    WriteOptions force = WriteOptions.defaults().withOverwrite(true);
    try (OnnxModel model = OnnxModel.read(source)) {
      WriteRefusedException e = assertThrows(WriteRefusedException.class,
          () -> ModelWriter.write(model, model.proto(), source, force));
      assertTrue(e.getMessage().contains("is the input"), e.getMessage());
      e = assertThrows(WriteRefusedException.class,
          () -> ModelWriter.write(model, model.proto(), sourceData, force));
      assertTrue(e.getMessage().contains("is the input"), e.getMessage());
      // the same file reached through another spelling of its path
      Path roundabout = folder.resolve("sub").resolve("..").resolve("m.onnx");
      assertThrows(WriteRefusedException.class,
          () -> ModelWriter.write(model, model.proto(), roundabout, force));
    }
    assertEquals(before, ExternalDataTest.hashes(source, sourceData));
    assertEquals(List.of("m.bin", "m.onnx"), ExternalDataTest.fileNames(folder));
  }

  @Test
  void inPlaceKeepReplacesModelAndDataFileAtomically() throws Exception {
    Object modelKey = fileKey(source);
    Object dataKey = fileKey(sourceData);
    try (OnnxModel model = OnnxModel.read(source)) {
      GraphProto g = model.proto().getGraph();
      TensorProto w1 = ModelWriter.pendingExternal(g.getInitializer(0), "m.bin",
          ByteString.copyFrom(floatBytes(W1_NEW)));
      ModelProto changed = model.proto().toBuilder().setGraph(g.toBuilder().setInitializer(0, w1)).build();
      WriteResult result = ModelWriter.write(model, changed, source,
          WriteOptions.defaults().withInPlace(true));
      assertEquals(List.of(sourceData), result.dataFiles());
      assertEquals(List.of(), result.notes());
      // the old files stay whole for whoever still reads them: the new ones were renamed over them
      assertArrayEquals(toDoubles(W1), valuesOf(model, 0));
    }
    assertNotEquals(modelKey, fileKey(source), "the model file was replaced, not rewritten");
    assertNotEquals(dataKey, fileKey(sourceData), "the data file was replaced, not rewritten");
    assertEquals(List.of("m.bin", "m.onnx"), ExternalDataTest.fileNames(folder));
    assertNoTemps(tmp);
    try (OnnxModel back = OnnxModel.read(source)) {
      assertEquals(2, back.externalRegions().size());
      assertArrayEquals(toDoubles(W1_NEW), valuesOf(back, 0));
      assertArrayEquals(toDoubles(W2), valuesOf(back, 1));
    }
  }

  @Test
  void aMissingOutputFolderFailsAndCreatesNothing() throws Exception {
    Path nowhere = tmp.resolve("no-such-folder").resolve("out.onnx");
    try (OnnxModel model = OnnxModel.read(source)) {
      assertThrows(IOException.class, () -> ModelWriter.write(model, model.proto(), nowhere,
          WriteOptions.defaults()));
    }
    assertFalse(Files.exists(nowhere.getParent()));
    assertEquals(List.of("src"), ExternalDataTest.fileNames(tmp));
  }

  @Test
  void aSourceTruncatedAfterReadingFailsTheWriteAndLeavesNothing() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("out"));
    try (OnnxModel model = OnnxModel.read(source)) {
      try (FileChannel ch = FileChannel.open(sourceData, StandardOpenOption.WRITE)) {
        ch.truncate(8);
      }
      for (ExternalDataLayout layout : ExternalDataLayout.values()) {
        Path target = out.resolve(layout.name().toLowerCase() + ".onnx");
        WriteOptions options = new WriteOptions(layout, false, false, 8, true); // SINGLE: both external
        IOException e = assertThrows(IOException.class,
            () -> ModelWriter.write(model, model.proto(), target, options), layout.name());
        System.out.println("truncated source, " + layout + ": " + e);
        assertEquals(List.of(), ExternalDataTest.fileNames(out), layout + ": nothing left behind");
      }
      // KEEP into the input's folder: the renamed data file must not be left either
      Path besideInput = folder.resolve("copy.onnx");
      assertThrows(IOException.class, () -> ModelWriter.write(model, model.proto(), besideInput,
          WriteOptions.defaults()));
      assertEquals(List.of("m.bin", "m.onnx"), ExternalDataTest.fileNames(folder));
    }
  }

  @Test
  void writingTheSameModelTwiceGivesIdenticalBytes() throws Exception {
    for (ExternalDataLayout layout : ExternalDataLayout.values()) {
      WriteOptions options = new WriteOptions(layout, false, false, 8, true);
      Path a = Files.createDirectories(tmp.resolve("a-" + layout));
      Path b = Files.createDirectories(tmp.resolve("b-" + layout));
      try (OnnxModel model = OnnxModel.read(source)) {
        ModelWriter.write(model, model.proto(), a.resolve("out.onnx"), options);
      }
      try (OnnxModel model = OnnxModel.read(source)) {
        ModelWriter.write(model, model.proto(), b.resolve("out.onnx"), options);
      }
      List<String> names = ExternalDataTest.fileNames(a);
      assertEquals(names, ExternalDataTest.fileNames(b), layout.name());
      assertEquals(layout == ExternalDataLayout.INLINE ? 1 : 2, names.size(), layout + ": " + names);
      for (String name : names) {
        assertArrayEquals(Files.readAllBytes(a.resolve(name)), Files.readAllBytes(b.resolve(name)),
            layout + ": " + name);
      }
      try (OnnxModel back = OnnxModel.read(a.resolve("out.onnx"))) {
        assertArrayEquals(toDoubles(W1), valuesOf(back, 0), layout.name());
        assertArrayEquals(toDoubles(W2), valuesOf(back, 1), layout.name());
      }
    }
    // a model built in memory, with a pending external tensor
    ModelProto built = tinyModel();
    TensorProto pending = ModelWriter.pendingExternal(built.getGraph().getInitializer(1),
        "weights.bin", ByteString.copyFrom(floatBytes(W2)));
    ModelProto withPending = built.toBuilder()
        .setGraph(built.getGraph().toBuilder().setInitializer(1, pending)).build();
    Path c = Files.createDirectory(tmp.resolve("c"));
    Path d = Files.createDirectory(tmp.resolve("d"));
    ModelWriter.write(null, withPending, c.resolve("out.onnx"), WriteOptions.defaults());
    ModelWriter.write(null, withPending, d.resolve("out.onnx"), WriteOptions.defaults());
    assertEquals(List.of("out.onnx", "out.onnx.data"), ExternalDataTest.fileNames(c));
    for (String name : List.of("out.onnx", "out.onnx.data")) {
      assertArrayEquals(Files.readAllBytes(c.resolve(name)), Files.readAllBytes(d.resolve(name)), name);
    }
  }

  @Test
  void keepNamesTheDataFileAfterTheOutputSoNoTwoOutputsShareOne() throws Exception {
    Map<Path, String> before = ExternalDataTest.hashes(source, sourceData);
    Path target = folder.resolve("out.onnx");
    Path other = folder.resolve("other.onnx");
    try (OnnxModel model = OnnxModel.read(source)) {
      WriteResult result = ModelWriter.write(model, model.proto(), target, WriteOptions.defaults());
      assertEquals(List.of(folder.resolve("out.onnx.data")), result.dataFiles());
      WriteResult second = ModelWriter.write(model, model.proto(), other, WriteOptions.defaults());
      assertEquals(List.of(folder.resolve("other.onnx.data")), second.dataFiles());
    }
    assertEquals(before, ExternalDataTest.hashes(source, sourceData));
    assertEquals(List.of("m.bin", "m.onnx", "other.onnx", "other.onnx.data", "out.onnx", "out.onnx.data"),
        ExternalDataTest.fileNames(folder));
    assertNoTemps(tmp);
    try (OnnxModel back = OnnxModel.read(target)) {
      for (TensorProto t : back.proto().getGraph().getInitializerList()) {
        assertEquals("out.onnx.data", ExternalDataRef.of(t).location(), t.getName());
      }
      assertArrayEquals(toDoubles(W1), valuesOf(back, 0));
      assertArrayEquals(toDoubles(W2), valuesOf(back, 1));
    }
  }

  // ---- helpers ----

  /** y = x + w1; w2 [2, 3] rides along. Both inline. */
  private static ModelProto tinyModel() {
    ModelBuilder m = new ModelBuilder("writer");
    var g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 4);
    String w1 = g.initializer(Tensors.of("w1", TensorProto.DataType.FLOAT, new long[] {4}, W1));
    g.initializer(Tensors.of("w2", TensorProto.DataType.FLOAT, new long[] {2, 3}, W2));
    g.output(g.add(x, w1));
    return m.build();
  }

  /** A model whose one initializer is 4 KiB, above the SINGLE layout's default threshold. */
  private static ModelProto bigModel() {
    ModelBuilder m = new ModelBuilder("big");
    var g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 1024);
    String w = g.initializer(Tensors.of("w", TensorProto.DataType.FLOAT, new long[] {1024},
        new float[1024]));
    g.output(g.add(x, w));
    return m.build();
  }

  private static TensorProto externalAt(TensorProto t, String location, long offset, long length) {
    return t.toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Long.toString(length)))
        .build();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  /** Values of the i-th main-graph initializer, wherever they are stored. */
  private static double[] valuesOf(OnnxModel model, int i) throws Exception {
    TensorProto t = model.proto().getGraph().getInitializer(i);
    ByteBuffer raw = model.rawBytes(TensorSite.initializer(TensorWalker.MAIN_GRAPH, t.getName()), t);
    return raw == null ? TensorCodec.decode(t) : TensorCodec.decode(t, raw);
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static byte[] floatBytes(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : values) {
      b.putFloat(f);
    }
    return b.array();
  }

  private static Object fileKey(Path p) throws IOException {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  /** No writer temp file ('.NAME.zero-init-XXXX.tmp') anywhere under {@code dir}. */
  static void assertNoTemps(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> temps = s.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith(".") && n.contains(".zero-init-");
      }).collect(Collectors.toList());
      assertEquals(List.of(), temps, "temp files left in " + dir);
    }
  }
}
