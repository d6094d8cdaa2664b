package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.WriteOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The options moved into the shared mixin still shape the main job as before, and err as before. */
class RewriteOptionsTest {
  @TempDir Path tmp;

  @Test
  void theMainJobTakesTheMixinsOptions() throws Exception {
    Path in = tmp.resolve("mlp.onnx");
    ModelWriter.write(null, ModelCatalog.standard().build("mlp", ModelOptions.DEFAULTS.withHidden(64)), in,
        WriteOptions.defaults());
    Path out = tmp.resolve("out.onnx");
    CliRun r = CliRun.of(in.toString(), "-o", out.toString(), "--ops", "gemm", "--hadamard-scale", "orthonormal",
        "--norm", "keep", "--exclude", "fc4", "--external-data", "single", "--no-sync");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("hadamard scale: orthonormal"), r.out());
    assertTrue(Files.exists(tmp.resolve("out.onnx.data")), "--external-data single");
    assertEquals("--method zero --hadamard-scale orthonormal --ops Gemm --norm keep --residual zero-last "
        + "--exclude 'fc4'", BatchCommandTest.metadata(out).get("dev.zeroinit.options"));
  }

  @Test
  void badValuesAreUsageErrorsNamingTheOption() {
    CliRun r = CliRun.of("model.onnx", "-o", tmp.resolve("x.onnx").toString(), "--ops", "Softmax");
    assertEquals(2, r.code());
    assertEquals("zero-init: --ops: unknown op 'Softmax'; choose from Gemm, MatMul, Conv, ConvTranspose\n",
        r.err().replace("\r", ""));
    r = CliRun.of("model.onnx", "-o", tmp.resolve("x.onnx").toString(), "--include", "(");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("zero-init: --include: invalid regular expression '('"), r.err());
  }
}
