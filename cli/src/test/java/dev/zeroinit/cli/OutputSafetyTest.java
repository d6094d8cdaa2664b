package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output safety (issue #7): a write that fails half way (disk full) or is stopped (SIGINT, SIGTERM)
 * leaves the target as it was and no temp file behind; {@code -o} naming the input, a link to it or
 * one of its external data files is refused unless {@code --in-place}.
 */
class OutputSafetyTest {
  @TempDir
  Path dir;

  private static boolean isTemp(String name) {
    return name.contains(".zero-init-") && name.endsWith(".tmp");
  }

  // ---------------------------------------------------------------- disk full

  /**
   * A real full disk: a 200 kB tmpfs mounted for the test (root may mount here; where mounting is not
   * permitted the tests are skipped, saying so). The sample model (0.7 MB) cannot fit.
   */
  @Nested
  class DiskFull {
    Path small;

    private void mountSmall(String size) throws Exception {
      small = Files.createDirectory(dir.resolve("small"));
      Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", small.toString())
          .redirectErrorStream(true).start();
      String said = new String(p.getInputStream().readAllBytes());
      Assumptions.assumeTrue(p.waitFor() == 0, "mounting a tmpfs is not permitted here: " + said.trim());
    }

    @AfterEach
    void unmount() throws Exception {
      if (small != null) {
        new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
      }
    }

    @Test
    void aFullDiskIsAnIoErrorAndLeavesNothing() throws Exception {
      mountSmall("200k");
      Path in = TestFiles.copySample(dir, "model.onnx");
      String hash = TestFiles.sha256(in);
      Path out = small.resolve("out.onnx");
      String line = Cli.run(in, "-o", out).assertOneLineError(ExitCodes.IO).errorLine();
      assertTrue(line.contains("out.onnx") && line.contains("No space left on device"), line);
      assertEquals(Set.of(), TestFiles.listing(small), "no output, no temp file");
      assertEquals(hash, TestFiles.sha256(in));
    }

    @Test
    void aFullDiskLeavesAnExistingTargetUntouched() throws Exception {
      mountSmall("200k");
      Path in = TestFiles.copySample(dir, "model.onnx");
      Path out = Files.writeString(small.resolve("out.onnx"), "precious");
      Cli.run(in, "-o", out, "--force").assertOneLineError(ExitCodes.IO);
      assertEquals("precious", Files.readString(out));
      assertEquals(Set.of("out.onnx"), TestFiles.listing(small));
    }

    @Test
    void aFullDiskWhileWritingExternalDataLeavesNothing() throws Exception {
      mountSmall("300k");
      Path in = TestFiles.copySample(dir, "model.onnx");
      Path out = small.resolve("out.onnx");
      Cli.run(in, "-o", out, "--external-data", "single").assertOneLineError(ExitCodes.IO);
      assertEquals(Set.of(), TestFiles.listing(small), "no model, no data file, no temp file");
    }

    @Test
    void aFullDiskInPlaceLeavesTheInputUntouched() throws Exception {
      mountSmall("1m");
      Path in = TestFiles.copySample(small, "model.onnx"); // 0.7 MB of 1 MB: no room for the copy
      String hash = TestFiles.sha256(in);
      Cli.run(in, "--in-place").assertOneLineError(ExitCodes.IO);
      assertEquals(hash, TestFiles.sha256(in));
      assertEquals(Set.of("model.onnx"), TestFiles.listing(small));
    }
  }

  // ---------------------------------------------------------------- stopped mid-write

  /**
   * A child JVM rewrites a 200 MB model; as soon as its temp file appears it gets SIGTERM or SIGINT.
   * The JVM's shutdown hook removes the temp file and the rename never happens: no target, no temp.
   * If the signal arrives only after the rename (a fast disk), the target is complete; the run is
   * repeated (up to 4 times) until one stop lands mid-write, and every run must end in one of the two.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Stopped {
    Path big;
    Path bigDir;

    @BeforeAll
    void buildBigModel() throws IOException {
      // the paper's MLP at width 6144: about 42 M parameters, 170 MB
      bigDir = Files.createTempDirectory("zero-init-big");
      big = bigDir.resolve("big.onnx");
      Cli.run("models", "build", "mlp", "--hidden", "6144", "-o", big).assertOk();
    }

    @AfterAll
    void removeBigModel() throws IOException {
      ChildJvm.deleteTree(bigDir);
    }

    @Test
    void sigtermMidWriteLeavesNoTargetAndNoTemp() throws Exception {
      stopMidWrite("TERM", 143);
    }

    @Test
    void sigintMidWriteLeavesNoTargetAndNoTemp() throws Exception {
      stopMidWrite("INT", 130);
    }

    private void stopMidWrite(String signal, int expectedExit) throws Exception {
      int landed = 0;
      for (int attempt = 0; attempt < 4 && landed == 0; attempt++) {
        Path work = Files.createDirectory(dir.resolve("run" + attempt));
        Path out = work.resolve("out.onnx");
        Process p = new ProcessBuilder(ChildJvm.command(List.of(), List.of("-Xmx1g"), big.toString(), "-o",
            out.toString())).redirectErrorStream(true).redirectOutput(dir.resolve("child" + attempt + ".txt").toFile())
            .start();
        boolean sawTemp = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && System.nanoTime() < deadline) {
          if (listing(work).stream().anyMatch(OutputSafetyTest::isTemp)) {
            sawTemp = true;
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
            break;
          }
          Thread.sleep(1);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child ends");
        String said = Files.readString(dir.resolve("child" + attempt + ".txt"));
        TreeSet<String> left = listing(work);
        assertFalse(left.stream().anyMatch(OutputSafetyTest::isTemp), "no temp file left: " + left);
        if (left.contains("out.onnx")) {
          // the rename won the race: the target must be whole
          TestFiles.load(out);
          System.out.println("SIG" + signal + " attempt " + attempt + ": arrived after the rename (exit "
              + p.exitValue() + ")");
        } else {
          assertTrue(sawTemp, "the write had started: " + said);
          assertEquals(expectedExit, p.exitValue(), "stopped by SIG" + signal + ": " + said);
          assertEquals(Set.of(), left, "no partial file at the target");
          landed++;
          System.out.println("SIG" + signal + " attempt " + attempt + ": stopped mid-write, nothing left");
        }
      }
      assertEquals(1, landed, "one SIG" + signal + " landed mid-write within 4 attempts");
    }
  }

  private static TreeSet<String> listing(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    } catch (java.nio.file.NoSuchFileException e) {
      return new TreeSet<>();
    }
  }

  // ---------------------------------------------------------------- -o naming the input or its data

  @Nested
  class OutputIsTheInput {
    private Path externalModel() {
      Path in = TestFiles.copySample(dir, "model.onnx");
      Path ext = dir.resolve("ext.onnx");
      Cli.run(in, "-o", ext, "--external-data", "single", "-q").assertOk();
      return ext;
    }

    @Test
    void theInputsDataFileIsRefusedEvenWithForce() throws Exception {
      Path ext = externalModel();
      Path data = dir.resolve("ext.onnx.data");
      assertTrue(Files.isRegularFile(data));
      String modelHash = TestFiles.sha256(ext);
      String dataHash = TestFiles.sha256(data);
      // without --force the early check says the file exists; with it the writer names the real reason
      Cli.run(ext, "-o", data).assertOneLineError(ExitCodes.USAGE);
      String line = Cli.run(ext, "-o", data, "--force").assertOneLineError(ExitCodes.USAGE).errorLine();
      assertTrue(line.contains("--in-place") && line.contains("ext.onnx.data"), line);
      assertEquals(modelHash, TestFiles.sha256(ext));
      assertEquals(dataHash, TestFiles.sha256(data));
      assertFalse(TestFiles.listing(dir).stream().anyMatch(OutputSafetyTest::isTemp));
    }

    @Test
    void aSymlinkOrHardLinkToTheInputIsRefused() throws Exception {
      Path in = TestFiles.copySample(dir, "model.onnx");
      String hash = TestFiles.sha256(in);
      Path sym = Files.createSymbolicLink(dir.resolve("sym.onnx"), in);
      Path hard = Files.createLink(dir.resolve("hard.onnx"), in);
      for (Path target : List.of(sym, hard)) {
        String line = Cli.run(in, "-o", target, "--force").assertOneLineError(ExitCodes.USAGE).errorLine();
        assertTrue(line.contains("--in-place"), line);
      }
      assertEquals(hash, TestFiles.sha256(in));
      assertTrue(Files.isSymbolicLink(sym));
      assertEquals(Set.of("hard.onnx", "model.onnx", "sym.onnx"), TestFiles.listing(dir));
    }

    @Test
    void inPlaceReplacesModelAndDataTogether() throws Exception {
      Path ext = externalModel();
      Cli.run(ext, "--in-place", "-q").assertOk();
      TestFiles.load(ext);
      assertEquals(Set.of("ext.onnx", "ext.onnx.data", "model.onnx"), TestFiles.listing(dir));
    }
  }
}
