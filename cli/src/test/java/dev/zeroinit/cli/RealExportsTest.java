package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job on PyTorch exports from the shared fixtures (skipped when absent, failed under CI). */
class RealExportsTest {
  @TempDir
  Path dir;

  @Test
  void opsGemmOnMobileNetLeavesEveryConvWeightAndTheInputAlone() {
    Path in = Fixtures.sharedModels().resolve("mobilenet_v3_small_opset13.onnx");
    String hash = TestFiles.sha256(in);
    Path out = dir.resolve("out.onnx");
    Cli.run(in, "-o", out, "--ops", "Gemm", "-q").assertOk();

    ModelProto before = TestFiles.load(in);
    Map<String, byte[]> a = TestFiles.initializerBytes(before);
    Map<String, byte[]> b = TestFiles.initializerBytes(TestFiles.load(out));
    var convInputs = TestFiles.inputsOf(before, "Conv", 1);
    assertEquals(52, convInputs.size());
    for (String w : convInputs) {
      assertArrayEquals(a.get(w), b.get(w), w);
    }
    for (String w : TestFiles.inputsOf(before, "Gemm", 1)) {
      assertFalse(Arrays.equals(a.get(w), b.get(w)), w + " not rewritten");
    }
    assertEquals(hash, TestFiles.sha256(in));
  }

  @Test
  void outputBesideAnExternalDataInputGetsADataFileNamedAfterItself() throws Exception {
    Path src = Fixtures.sharedModels().resolve("squeezenet1_1_external");
    Path model = Files.copy(src.resolve("squeezenet1_1.onnx"), dir.resolve("squeezenet1_1.onnx"));
    Path data = Files.copy(src.resolve("squeezenet1_1.onnx.data"), dir.resolve("squeezenet1_1.onnx.data"));
    String dataHash = TestFiles.sha256(data);

    Cli.Run r = Cli.run(model, "-o", dir.resolve("zero.onnx")).assertOk();

    assertEquals(dataHash, TestFiles.sha256(data), "the input's data file is not replaced");
    assertEquals(Set.of("squeezenet1_1.onnx", "squeezenet1_1.onnx.data", "zero.onnx",
        "zero.onnx.data"), TestFiles.listing(dir));
    assertEquals(0, r.out().lines().filter(l -> l.contains("note: external data")).count(), r.out());
    TestFiles.load(dir.resolve("zero.onnx"));
  }

  @Test
  void externalDataModelKeepsItsLayoutLeavesTheInputAloneAndRepeatsExactly() throws Exception {
    Path src = Fixtures.sharedModels().resolve("squeezenet1_1_external");
    Path model = src.resolve("squeezenet1_1.onnx");
    Path data = src.resolve("squeezenet1_1.onnx.data");
    String modelHash = TestFiles.sha256(model);
    String dataHash = TestFiles.sha256(data);

    // with the default layout (keep) the output's data file is named after the output
    Path a = Files.createDirectory(dir.resolve("a")).resolve("zero.onnx");
    Path b = Files.createDirectory(dir.resolve("b")).resolve("zero.onnx");
    Cli.run(model, "-o", a, "-q").assertOk();
    Cli.run(model, "-o", b, "-q").assertOk();

    assertEquals(modelHash, TestFiles.sha256(model));
    assertEquals(dataHash, TestFiles.sha256(data));
    assertEquals(Set.of("zero.onnx", "zero.onnx.data"), TestFiles.listing(a.getParent()));
    assertEquals(TestFiles.listing(a.getParent()), TestFiles.listing(b.getParent()));
    TestFiles.load(a);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    Path aData = a.resolveSibling("zero.onnx.data");
    assertArrayEquals(Files.readAllBytes(aData), Files.readAllBytes(b.resolveSibling("zero.onnx.data")));
    assertFalse(Arrays.equals(Files.readAllBytes(data), Files.readAllBytes(aData)));
  }
}
