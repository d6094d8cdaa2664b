package dev.zeroinit.init.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner through its API: values, the recorded hash, the hook, the estimate, shared data files. */
class BatchRunnerTest {
  @TempDir Path tmp;

  static ModelProto mlp(long seed, int in, int hidden, int out) {
    ModelBuilder m = new ModelBuilder("mlp").seed(seed);
    GraphBuilder g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, -1, in);
    x = g.relu(g.gemm(x, hidden, true));
    g.output(g.rename(g.gemm(x, out, true), "y"));
    return m.build();
  }

  static Path write(ModelProto m, Path file, ExternalDataLayout layout) throws Exception {
    Files.createDirectories(file.getParent());
    ModelWriter.write(null, m, file, WriteOptions.defaults().withLayout(layout));
    return file;
  }

  private BatchOptions options(Path in, Path out, AfterRewrite hook) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("dev.zeroinit.version", "test");
    meta.put("dev.zeroinit.options", "--method zero");
    return new BatchOptions(in, out, PlanOptions.defaults(), ExternalDataLayout.KEEP, false, false, false,
        false, 2, 64L << 20, Shard.ALL, meta, Map.of("dev.zeroinit.options", "--method zero"), hook);
  }

  private static Map<String, TensorProto> initializers(Path model) throws Exception {
    try (OnnxModel m = OnnxModel.read(model)) {
      Map<String, TensorProto> out = new LinkedHashMap<>();
      for (TensorProto t : m.proto().getGraph().getInitializerList()) {
        out.put(t.getName(), t);
      }
      return out;
    }
  }

  /** The model with every tensor's bytes in the proto (external and lazily read ones copied in). */
  static ModelProto inlined(OnnxModel m) throws Exception {
    return TensorWalker.transform(m.proto(), (site, t) -> {
      if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
        return t;
      }
      return t.toBuilder().clearExternalData().clearDataLocation()
          .setRawData(ByteString.copyFrom(m.rawBytes(site, t))).build();
    });
  }

  private static double[] values(Path model, String name) throws Exception {
    try (OnnxModel m = OnnxModel.read(model)) {
      for (TensorProto t : inlined(m).getGraph().getInitializerList()) {
        if (t.getName().equals(name)) {
          return TensorCodec.decode(t);
        }
      }
    }
    throw new AssertionError("no " + name);
  }

  @Test
  void resultsHoldTheSameValuesAsAnInMemoryRewriteAndRecordTheInputHash() throws Exception {
    Path in = tmp.resolve("in");
    Path inline = write(mlp(1, 64, 256, 10), in.resolve("inline.onnx"), ExternalDataLayout.INLINE);
    Path ext = write(mlp(2, 300, 64, 10), in.resolve("deep/ext.onnx"), ExternalDataLayout.SINGLE);
    Path out = tmp.resolve("out");
    BatchResult r = BatchRunner.run(options(in, out, null), null);
    assertTrue(r.allOk(), r.toString());
    assertEquals(List.of("deep/ext.onnx", "inline.onnx"), r.outcomes().stream().map(ModelOutcome::path).toList());
    assertTrue(Files.isRegularFile(out.resolve("deep/ext.onnx.data")));
    for (Path input : List.of(inline, ext)) {
      Path output = out.resolve(in.relativize(input));
      ModelProto eager;
      try (OnnxModel m = OnnxModel.read(input)) {
        ModelProto full = inlined(m);
        eager = Rewriter.apply(full, Planner.plan(full, PlanOptions.defaults()), Map.of());
      }
      for (TensorProto t : eager.getGraph().getInitializerList()) {
        assertEquals(java.util.Arrays.toString(TensorCodec.decode(t)),
            java.util.Arrays.toString(values(output, t.getName())), input + " " + t.getName());
      }
      List<String> keys = new ArrayList<>();
      String hash = null;
      try (OnnxModel m = OnnxModel.read(output)) {
        for (StringStringEntryProto e : m.proto().getMetadataPropsList()) {
          keys.add(e.getKey());
          if (e.getKey().equals(BatchRunner.META_INPUT_SHA256)) {
            hash = e.getValue();
          }
        }
      }
      assertEquals(List.of("dev.zeroinit.version", "dev.zeroinit.options", BatchRunner.META_INPUT_SHA256), keys);
      assertEquals(expectedHash(input), hash);
    }
  }

  /** The documented hash, computed independently: SHA-256 of (8-byte length, bytes) per file. */
  static String expectedHash(Path model) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    List<Path> files = new ArrayList<>(List.of(model));
    Path data = model.resolveSibling(model.getFileName() + ".data");
    if (Files.exists(data)) {
      files.add(data);
    }
    for (Path f : files) {
      byte[] b = Files.readAllBytes(f);
      md.update(ByteBuffer.allocate(8).putLong(b.length).array());
      md.update(b);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  @Test
  void theCheckHookAddsANoteOrFailsTheModel() throws Exception {
    Path in = tmp.resolve("in");
    write(mlp(1, 16, 32, 4), in.resolve("good.onnx"), ExternalDataLayout.INLINE);
    write(mlp(2, 16, 32, 4), in.resolve("bad.onnx"), ExternalDataLayout.INLINE);
    AfterRewrite hook = (input, output, plan) -> {
      assertTrue(Files.exists(output), "called after the write");
      if (input.getFileName().toString().startsWith("bad")) {
        throw new IllegalStateException("signal check failed: output all zero");
      }
      return "signal ok (" + plan.rewritten().size() + " tensors)";
    };
    BatchResult r = BatchRunner.run(options(in, tmp.resolve("out"), hook), null);
    ModelOutcome bad = r.outcomes().get(0);
    ModelOutcome good = r.outcomes().get(1);
    assertEquals(ModelOutcome.Status.FAILED, bad.status());
    assertEquals("signal check failed: output all zero", bad.error().getMessage());
    assertEquals(ModelOutcome.Status.REWRITTEN, good.status());
    assertEquals(List.of("signal ok (4 tensors)"), good.notes());
    assertFalse(r.allOk());
  }

  @Test
  void footprintIsTheModelFilePlusFiveQuartersOfTheLargestFloatTensor() throws Exception {
    Path ext = write(mlp(3, 300, 64, 10), tmp.resolve("ext.onnx"), ExternalDataLayout.SINGLE);
    try (OnnxModel m = OnnxModel.read(ext)) {
      long largest = 64 * 300 * 4;
      long all = (64 * 300 + 64 + 10 * 64 + 10) * 4;
      assertEquals(m.fileSize() + largest + largest / 4 + Footprint.BASE, Footprint.estimate(m, ExternalDataLayout.KEEP));
      assertEquals(m.fileSize() + all + all / 4 + Footprint.BASE, Footprint.estimate(m, ExternalDataLayout.INLINE));
    }
  }

  @Test
  void twoModelsNamingOneDataFileDoNotOverwriteEachOther() throws Exception {
    Path in = tmp.resolve("in");
    Path a = write(mlp(4, 40, 50, 6), in.resolve("a.onnx"), ExternalDataLayout.SINGLE);
    Files.copy(a, in.resolve("b.onnx")); // b.onnx names a.onnx.data too
    BatchResult r = BatchRunner.run(options(in, tmp.resolve("out"), null), null);
    assertTrue(r.allOk(), r.toString());
    assertEquals(List.of(), r.outcomes().get(0).notes());
    assertTrue(r.outcomes().get(1).notes().get(0).contains("also written by a.onnx"), r.outcomes().get(1).notes().toString());
    assertTrue(Files.exists(tmp.resolve("out/b.onnx.data")));
    assertEquals(initializers(tmp.resolve("out/a.onnx")).keySet(), initializers(tmp.resolve("out/b.onnx")).keySet());
    for (String name : initializers(tmp.resolve("out/a.onnx")).keySet()) {
      assertEquals(java.util.Arrays.toString(values(tmp.resolve("out/a.onnx"), name)),
          java.util.Arrays.toString(values(tmp.resolve("out/b.onnx"), name)), name);
    }
  }

  @Test
  void inputHashFilesAreTheModelThenItsDataFiles() throws Exception {
    Path ext = write(mlp(5, 30, 20, 3), tmp.resolve("h/ext.onnx"), ExternalDataLayout.SINGLE);
    try (OnnxModel m = OnnxModel.read(ext)) {
      assertEquals(List.of(ext.toRealPath(), ext.resolveSibling("ext.onnx.data").toRealPath()),
          InputHash.files(m).stream().map(p -> {
            try {
              return p.toRealPath();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }).toList());
      assertEquals(expectedHash(ext), InputHash.sha256(InputHash.files(m)));
    }
  }
}
