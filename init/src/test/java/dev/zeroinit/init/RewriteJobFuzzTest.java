package dev.zeroinit.init;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.InsufficientMemoryException;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteRefusedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Coverage-guided fuzzing (Jazzer) of the main job: read a model from arbitrary bytes, plan, rewrite,
 * write, and read the result back. The tool's own refusals are expected outcomes: {@link
 * InvalidModelException} (a bad input), {@link WriteRefusedException} and {@link
 * InsufficientMemoryException}. Anything else is a finding: another exception (an internal error,
 * exit code 1 at the command line, including an IOException, since nothing here does real I/O that can
 * fail), an output that does not read back, a hang (libFuzzer's {@code -timeout}) or an
 * OutOfMemoryError (the fuzzing JVM's heap is the allocation budget; see init/pom.xml).
 *
 * <p>Seeds: ONNX backend test models and the project's own small models, in
 * {@code src/test/resources/dev/zeroinit/init/RewriteJobFuzzTestInputs/readPlanRewriteWrite}; inputs
 * that once failed are kept there too ({@code crash-*}), so every plain test run replays them
 * (regression mode). {@code mvn verify} fuzzes for the annotation's 60 s (JAZZER_FUZZ=1 is set for
 * this test's own surefire execution); docs/RELIABILITY.md has the command for a longer run.
 *
 * <p>The write options follow from the input's length, so the fuzzer reaches every external data
 * layout and both Hadamard scales without spending input bytes on them.
 */
class RewriteJobFuzzTest {
  private static final Path WORK;

  static {
    try {
      WORK = Files.createTempDirectory("zero-init-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(WORK)));
  }

  @FuzzTest(maxDuration = "60s")
  void readPlanRewriteWrite(byte[] input) throws Exception {
    Path dir = Files.createDirectories(WORK.resolve("run"));
    try {
      Path in = Files.write(dir.resolve("model.onnx"), input);
      Path out = dir.resolve("out.onnx");
      ExternalDataLayout layout = ExternalDataLayout.values()[input.length % ExternalDataLayout.values().length];
      PlanOptions plan = PlanOptions.defaults()
          .withScale(input.length / 3 % 2 == 0 ? HadamardScale.PAPER : HadamardScale.ORTHONORMAL);
      WriteOptions write = WriteOptions.defaults().withLayout(layout).withDurable(false);
      RewriteJob.Result result;
      try {
        result = RewriteJob.run(in, out, plan, write, Map.of("dev.zeroinit.fuzz", "1"));
      } catch (InvalidModelException | WriteRefusedException | InsufficientMemoryException expected) {
        if (Files.exists(out)) {
          throw new AssertionError("a refused run left an output behind: " + expected);
        }
        return;
      }
      // what the tool wrote must read back as a valid model
      try (OnnxModel written = OnnxModel.read(result.written().model())) {
        written.proto();
      } catch (InvalidModelException e) {
        throw new AssertionError("the output of an accepted input does not read back: " + e.oneLine(), e);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
