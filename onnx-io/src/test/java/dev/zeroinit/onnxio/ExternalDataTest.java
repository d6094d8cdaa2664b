package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared squeezenet with external data: read, written with every layout, and the same tensor
 * values each time; the input files are never touched.
 */
class ExternalDataTest {
  private static final String EXTERNAL_MODEL = "squeezenet1_1_external/squeezenet1_1.onnx";
  private static final String EXTERNAL_DATA = "squeezenet1_1_external/squeezenet1_1.onnx.data";
  private static final String INLINE_MODEL = "squeezenet1_1_opset13.onnx";

  @TempDir Path tmp;
  private Path models;
  private Map<Path, String> hashesBefore;

  @BeforeEach
  void hashInputs() throws IOException {
    models = Fixtures.sharedModels();
    hashesBefore = hashes(models.resolve(EXTERNAL_MODEL), models.resolve(EXTERNAL_DATA),
        models.resolve(INLINE_MODEL));
  }

  @AfterEach
  void inputsAreUntouched() throws IOException {
    if (hashesBefore != null) {
      assertEquals(hashesBefore, hashes(hashesBefore.keySet().toArray(Path[]::new)),
          "an input file changed");
    }
  }

  @Test
  void readingFindsTheTwentyEightExternalRegions() throws Exception {
    try (OnnxModel model = OnnxModel.read(models.resolve(EXTERNAL_MODEL))) {
      assertEquals(28, model.externalRegions().size());
      Path data = models.resolve(EXTERNAL_DATA).toRealPath();
      for (var region : model.externalRegions().values()) {
        assertEquals(data, region.file());
      }
      assertEquals(Files.size(data), model.externalBytes(), "the regions cover the data file");
      assertEquals(34, values(model).size(), "34 initializers in all");
    }
  }

  @Test
  void keepWritesTheModelAndOneDataFileWithTheSameValues() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("keep"));
    try (OnnxModel model = OnnxModel.read(models.resolve(EXTERNAL_MODEL))) {
      WriteResult result = ModelWriter.write(model, model.proto(), out.resolve("squeezenet1_1.onnx"),
          WriteOptions.defaults().withLayout(ExternalDataLayout.KEEP));
      assertEquals(ExternalDataLayout.KEEP, result.layout());
      assertEquals(List.of(out.resolve("squeezenet1_1.onnx.data")), result.dataFiles());
      assertEquals(List.of("squeezenet1_1.onnx", "squeezenet1_1.onnx.data"), fileNames(out));
      assertEquals(Files.size(out.resolve("squeezenet1_1.onnx")) + Files.size(result.dataFiles().get(0)),
          result.bytesWritten());
      try (OnnxModel back = OnnxModel.read(result.model())) {
        assertEquals(28, back.externalRegions().size());
        for (var region : back.externalRegions().values()) {
          assertEquals(out.resolve("squeezenet1_1.onnx.data").toRealPath(), region.file());
        }
        assertSameValues(values(model), values(back));
      }
    }
  }

  @Test
  void inlineWritesOneFileWithoutExternalData() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("inline"));
    try (OnnxModel model = OnnxModel.read(models.resolve(EXTERNAL_MODEL))) {
      WriteResult result = ModelWriter.write(model, model.proto(), out.resolve("inline.onnx"),
          WriteOptions.defaults().withLayout(ExternalDataLayout.INLINE));
      assertEquals(List.of(), result.dataFiles());
      assertEquals(List.of("inline.onnx"), fileNames(out));
      try (OnnxModel back = OnnxModel.read(result.model())) {
        assertTrue(back.externalRegions().isEmpty());
        TensorWalker.visit(back.materializedProto(), (site, t) -> {
          assertFalse(ExternalDataRef.isExternal(t), site.describe());
          assertEquals(0, t.getExternalDataCount(), site.describe());
        });
        assertSameValues(values(model), values(back));
      }
    }
  }

  @Test
  void singleMovesEveryTensorOfAtLeast1024BytesIntoOneDataFile() throws Exception {
    Path out = Files.createDirectory(tmp.resolve("single"));
    try (OnnxModel model = OnnxModel.read(models.resolve(INLINE_MODEL))) {
      assertTrue(model.externalRegions().isEmpty());
      WriteResult result = ModelWriter.write(model, model.proto(), out.resolve("OUT.onnx"),
          WriteOptions.defaults().withLayout(ExternalDataLayout.SINGLE));
      assertEquals(List.of(out.resolve("OUT.onnx.data")), result.dataFiles());
      assertEquals(List.of("OUT.onnx", "OUT.onnx.data"), fileNames(out));
      Map<TensorSite, Long> sizes = new LinkedHashMap<>();
      TensorWalker.visit(model.materializedProto(), (site, t) -> sizes.put(site, (long) t.getRawData().size()));
      try (OnnxModel back = OnnxModel.read(result.model())) {
        int[] external = {0};
        TensorWalker.visit(back.proto(), (site, t) -> {
          long size = sizes.get(site);
          if (size >= 1024) {
            assertTrue(ExternalDataRef.isExternal(t), site.describe() + " (" + size + " bytes)");
            assertEquals("OUT.onnx.data", ExternalDataRef.of(t).location(), site.describe());
            assertEquals(size, back.externalRegions().get(site).length(), site.describe());
            external[0]++;
          } else {
            assertFalse(ExternalDataRef.isExternal(t), site.describe() + " (" + size + " bytes)");
          }
        });
        assertEquals(28, external[0], "as many external tensors as onnx's own 1024-byte threshold");
        assertEquals(28, back.externalRegions().size());
        assertSameValues(values(model), values(back));
      }
    }
  }

  /** The exact values of every tensor of a model, by site. */
  static Map<TensorSite, double[]> values(OnnxModel model) throws Exception {
    Map<TensorSite, double[]> values = new LinkedHashMap<>();
    TensorWalker.visit(model.proto(), (site, t) -> {
      ByteBuffer raw = model.rawBytes(site, t);
      assertNull(values.put(site, raw == null ? TensorCodec.decode(t) : TensorCodec.decode(t, raw)),
          "two tensors at " + site.describe());
    });
    return values;
  }

  static void assertSameValues(Map<TensorSite, double[]> expected, Map<TensorSite, double[]> actual) {
    assertEquals(expected.keySet(), actual.keySet(), "the same tensor sites");
    for (Map.Entry<TensorSite, double[]> e : expected.entrySet()) {
      assertArrayEquals(e.getValue(), actual.get(e.getKey()), e.getKey().describe());
    }
  }

  static List<String> fileNames(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  static Map<Path, String> hashes(Path... files) throws IOException {
    Map<Path, String> out = new LinkedHashMap<>();
    for (Path f : files) {
      out.put(f, sha256(f));
    }
    return out;
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
