package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zero-init models list|build}. */
class ModelsCommandTest {
  @TempDir
  Path dir;

  @Test
  void listPrintsEveryCatalogEntryWithItsDescription() {
    Cli.Run r = Cli.run("models", "list").assertOk();
    List<String> lines = r.out().lines().toList();
    var entries = ModelCatalog.standard().entries();
    assertEquals(entries.size(), lines.size(), r.out());
    for (int i = 0; i < entries.size(); i++) {
      assertTrue(lines.get(i).startsWith(entries.get(i).name() + "  "), lines.get(i));
      assertTrue(lines.get(i).endsWith(entries.get(i).description()), lines.get(i));
    }
    assertTrue(r.out().contains("mlp") && r.out().contains("sample-resnet"), r.out());
  }

  @Test
  void buildMlpWritesALoadableModelThatTheMainJobAccepts() {
    Path out = dir.resolve("mlp.onnx");
    Cli.Run r = Cli.run("models", "build", "mlp", "--hidden", "64", "-o", out).assertOk();
    assertTrue(r.out().startsWith("built mlp -> "), r.out());
    ModelProto m = TestFiles.load(out);
    assertFalse(TestFiles.inputsOf(m, "MatMul", 1).isEmpty() && TestFiles.inputsOf(m, "Gemm", 1).isEmpty(),
        "the MLP has weight layers");
    assertTrue(m.getGraph().getInitializerList().stream().anyMatch(t -> t.getDimsList().contains(64L)),
        "--hidden 64 shapes the weights");
    Cli.run(out, "-o", dir.resolve("zero.onnx"), "-q").assertOk();
  }

  @Test
  void buildIsReproducibleAndRefusesToOverwriteWithoutForce() throws Exception {
    Path a = dir.resolve("a.onnx");
    Path b = dir.resolve("b.onnx");
    Cli.run("models", "build", "mlp", "--hidden", "32", "-o", a).assertOk();
    Cli.run("models", "build", "mlp", "--hidden", "32", "-o", b).assertOk();
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    Cli.run("models", "build", "mlp", "--hidden", "16", "-o", a).assertOneLineError(ExitCodes.USAGE);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    Cli.run("models", "build", "mlp", "--hidden", "16", "-o", a, "--force").assertOk();
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)));
  }

  @Test
  void buildSampleResNetReproducesTheCheckedInSample() throws Exception {
    Path out = dir.resolve("sample_resnet.onnx");
    Cli.run("models", "build", "sample-resnet", "-o", out).assertOk();
    assertArrayEquals(Files.readAllBytes(TestFiles.sample()), Files.readAllBytes(out),
        "samples/sample_resnet.onnx is 'models build sample-resnet' with the defaults");
  }

  @Test
  void unknownModelNameIsAUsageError() {
    String line = Cli.run("models", "build", "resnet1000", "-o", dir.resolve("x.onnx"))
        .assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("resnet1000") && line.contains("mlp"), "names it and the known ones: " + line);
    assertEquals(Set.of(), TestFiles.listing(dir));
  }

  @Test
  void outOfRangeBuildOptionsAreUsageErrorsNotInternalErrors() {
    Object[][] cases = {
        {"mlp", "--hidden", "0"}, {"mlp", "--hidden", "-5"}, {"sample-resnet", "--width", "0"},
        {"sample-resnet", "--width", "NaN"}, {"sample-resnet", "--classes", "-1"},
        {"sample-resnet", "--in-channels", "0"}, {"mlp", "--hidden", "2000000000"},
        {"resnet50", "--width", "1000"}};
    for (Object[] c : cases) {
      Cli.Run r = Cli.run("models", "build", c[0], c[1], c[2], "-o", dir.resolve("x.onnx"));
      r.assertOneLineError(ExitCodes.USAGE);
      assertFalse(r.errorLine().contains("internal error"), r.errorLine());
    }
    assertEquals(Set.of(), TestFiles.listing(dir));
  }

  @Test
  void modelsWithoutACommandIsAOneLineUsageError() {
    String line = Cli.run("models").assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("list") && line.contains("build"), line);
  }

  @Test
  void buildWithoutOutputIsAUsageError() {
    Cli.run("models", "build", "mlp").assertOneLineError(ExitCodes.USAGE);
  }
}
