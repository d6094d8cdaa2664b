package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deferred tensors are made when the writer places them, once, in any layout; deferred metadata is
 * resolved before the model file is written and a failure there leaves nothing behind. Also: small
 * inline tensors read back with their own bytes (the raw_data of a parsed model aliases the file).
 */
class DeferredContentTest {
  @TempDir Path tmp;

  /** A model whose two weights [64, 32] and [32, 8] are deferred, with counted contents. */
  private static class Counted implements DeferredContent.TensorContent {
    final float[] values;
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger inMemory = new AtomicInteger();

    Counted(int n, float offset) {
      values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = offset + i;
      }
    }

    @Override
    public long length() {
      return 4L * values.length;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
      writes.incrementAndGet();
      ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) {
        b.putFloat(v);
      }
      b.flip();
      DeferredContent.writeFully(b, out);
    }

    @Override
    public ByteString bytes() throws IOException {
      inMemory.incrementAndGet();
      return DeferredContent.TensorContent.super.bytes();
    }
  }

  private static ModelProto model(DeferredContent deferred, Counted a, Counted b) throws Exception {
    ModelBuilder m = new ModelBuilder("g");
    GraphBuilder g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 64);
    x = g.matMul(x, 32);
    g.output(g.rename(g.matMul(x, 8), "y"));
    ModelProto built = m.build();
    return TensorWalker.transform(built, (site, t) -> deferred.defer(site, t, "w.bin",
        t.getDims(0) == 64 ? a : b));
  }

  @ParameterizedTest
  @EnumSource(ExternalDataLayout.class)
  void deferredTensorsAreMadeOnceWhereTheLayoutPutsThem(ExternalDataLayout layout) throws Exception {
    DeferredContent deferred = new DeferredContent();
    Counted a = new Counted(64 * 32, 0.5f);
    Counted b = new Counted(32 * 8, -100f);
    ModelProto model = model(deferred, a, b);
    Path out = tmp.resolve("out.onnx");
    WriteResult r = ModelWriter.write(null, model, out, WriteOptions.defaults().withLayout(layout), deferred);
    // made once: written out, or (inline) collected through bytes(), which writes once
    assertEquals(1, a.writes.get(), "made once");
    assertEquals(1, b.writes.get(), "made once");
    assertEquals(layout == ExternalDataLayout.INLINE ? 1 : 0, a.inMemory.get(), "held only when inline");
    List<String> expectedFiles = switch (layout) {
      case INLINE -> List.of("out.onnx");
      case SINGLE -> List.of("out.onnx", "out.onnx.data");
      case KEEP -> List.of("out.onnx", "out.onnx.data"); // named after the output
    };
    assertEquals(expectedFiles, ExternalDataTest.fileNames(tmp));
    assertEquals(layout, r.layout());
    try (OnnxModel back = OnnxModel.read(out)) {
      for (TensorProto t : back.proto().getGraph().getInitializerList()) {
        TensorSite site = TensorSite.initializer("graph", t.getName());
        ByteBuffer raw = back.rawBytes(site, t);
        double[] v = raw == null ? TensorCodec.decode(t) : TensorCodec.decode(t, raw);
        Counted c = t.getDims(0) == 64 ? a : b;
        assertEquals(c.values.length, v.length);
        for (int i = 0; i < v.length; i++) {
          assertEquals(c.values[i], v[i], 0.0, t.getName() + "[" + i + "]");
        }
      }
    }
    for (TensorProto t : ModelProto.parseFrom(Files.readAllBytes(out)).getGraph().getInitializerList()) {
      for (StringStringEntryProto e : t.getExternalDataList()) {
        assertFalse(e.getKey().startsWith("dev.zeroinit"), "no marker in the output: " + e);
      }
    }
  }

  @Test
  void deferredMetadataIsResolvedOnceAndRecordedLast() throws Exception {
    DeferredContent deferred = new DeferredContent();
    ModelProto model = model(deferred, new Counted(64 * 32, 1f), new Counted(32 * 8, 2f)).toBuilder()
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("old"))
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("a").setValue("1")).build();
    AtomicInteger calls = new AtomicInteger();
    deferred.deferMetadata("k", () -> "new-" + calls.incrementAndGet());
    ModelWriter.write(null, model, tmp.resolve("m.onnx"), WriteOptions.defaults(), deferred);
    assertEquals(1, calls.get());
    try (OnnxModel back = OnnxModel.read(tmp.resolve("m.onnx"))) {
      assertEquals(List.of("a=1", "k=new-1"), back.proto().getMetadataPropsList().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).toList());
    }
  }

  @Test
  void aFailingDeferredValueLeavesNoFileBehind() throws Exception {
    DeferredContent deferred = new DeferredContent();
    ModelProto model = model(deferred, new Counted(64 * 32, 1f), new Counted(32 * 8, 2f));
    deferred.deferMetadata("hash", () -> {
      throw new IOException("input vanished");
    });
    IOException e = assertThrows(IOException.class, () -> ModelWriter.write(null, model,
        tmp.resolve("m.onnx"), WriteOptions.defaults().withLayout(ExternalDataLayout.SINGLE), deferred));
    assertTrue(e.getMessage().contains("input vanished"), e.getMessage());
    assertEquals(List.of(), ExternalDataTest.fileNames(tmp));
  }

  @Test
  void aContentThatWritesTheWrongLengthIsAnError() throws Exception {
    DeferredContent deferred = new DeferredContent();
    Counted liar = new Counted(64 * 32, 1f) {
      @Override
      public long length() {
        return super.length() + 4;
      }
    };
    ModelProto model = model(deferred, liar, new Counted(32 * 8, 2f));
    IOException e = assertThrows(IOException.class, () -> ModelWriter.write(null, model,
        tmp.resolve("m.onnx"), WriteOptions.defaults().withLayout(ExternalDataLayout.SINGLE), deferred));
    assertTrue(e.getMessage().contains("not the 8196 it announced"), e.getMessage());
    assertEquals(List.of(), ExternalDataTest.fileNames(tmp));
  }

  @Test
  void runsOfZerosBecomeHolesWithTheFileKeepingItsLengthAndBytes() throws Exception {
    byte[] one = {7};
    ByteString zeros = ByteString.copyFrom(new byte[(1 << 20) + 5000]);
    for (ByteString content : List.of(
        zeros.concat(ByteString.copyFrom(one)).concat(zeros.substring(0, 100_000)), // ends in zeros
        ByteString.copyFrom(one).concat(zeros),
        zeros.substring(0, 3000).concat(ByteString.copyFrom(one)), // too short to skip
        zeros)) {
      Path f = tmp.resolve("f.bin");
      Files.deleteIfExists(f);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
          java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        DeferredContent.writeFully(content, ch);
        assertEquals(3 + content.size(), ch.position());
      }
      byte[] back = Files.readAllBytes(f);
      assertEquals(3 + content.size(), back.length);
      assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(back, 3));
      assertArrayEquals(content.toByteArray(), java.util.Arrays.copyOfRange(back, 3, back.length));
    }
  }

  @Test
  void smallInlineTensorsReadBackWithTheirOwnValues() throws Exception {
    ModelBuilder m = new ModelBuilder("g").seed(3);
    GraphBuilder g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 8);
    g.output(g.rename(g.gemm(g.gemm(x, 4, true), 2000, true), "y")); // 4x8 and 4-element bias stay inline
    ModelProto built = m.build();
    ModelWriter.write(null, built, tmp.resolve("m.onnx"),
        WriteOptions.defaults().withLayout(ExternalDataLayout.INLINE));
    try (OnnxModel back = OnnxModel.read(tmp.resolve("m.onnx"))) {
      for (int i = 0; i < built.getGraph().getInitializerCount(); i++) {
        TensorProto want = built.getGraph().getInitializer(i);
        TensorProto got = back.materializedProto().getGraph().getInitializer(i);
        assertArrayEquals(TensorCodec.decode(want), TensorCodec.decode(got), want.getName());
      }
    }
  }
}
