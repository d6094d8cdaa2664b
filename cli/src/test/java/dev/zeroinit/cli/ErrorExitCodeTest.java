package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every failure ends in its documented exit code and one {@code zero-init: } line on stderr, never a
 * stack trace; and a failed run writes nothing.
 */
class ErrorExitCodeTest {
  @TempDir
  Path dir;

  /** The sample, copied into the test's folder on first use. */
  private Path in() {
    Path in = dir.resolve("model.onnx");
    return Files.exists(in) ? in : TestFiles.copySample(dir, "model.onnx");
  }

  private Path out() {
    return dir.resolve("out.onnx");
  }

  // usage errors: 2

  @Test
  void missingModelIsAUsageError() {
    Cli.run().assertOneLineError(ExitCodes.USAGE);
    Cli.run("-o", out()).assertOneLineError(ExitCodes.USAGE);
  }

  @Test
  void missingOutputIsAUsageError() {
    String line = Cli.run(in()).assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("-o"), line);
  }

  @Test
  void unknownOptionIsAUsageError() {
    String line = Cli.run(in(), "-o", out(), "--frobnicate").assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("--frobnicate"), line);
  }

  @Test
  void badHadamardScaleIsAUsageError() {
    String line = Cli.run(in(), "-o", out(), "--hadamard-scale", "unit").assertOneLineError(ExitCodes.USAGE)
        .errorLine();
    assertTrue(line.contains("paper") && line.contains("orthonormal"), "lists the choices: " + line);
  }

  @Test
  void badNormAndExternalDataValuesAreUsageErrors() {
    Cli.run(in(), "-o", out(), "--norm", "freeze").assertOneLineError(ExitCodes.USAGE);
    Cli.run(in(), "-o", out(), "--external-data", "split").assertOneLineError(ExitCodes.USAGE);
  }

  @Test
  void unknownOpIsAUsageError() {
    String line = Cli.run(in(), "-o", out(), "--ops", "Gemm,Attention").assertOneLineError(ExitCodes.USAGE)
        .errorLine();
    assertTrue(line.contains("Attention"), line);
  }

  @Test
  void invalidRegexIsAUsageError() {
    Cli.run(in(), "-o", out(), "--include", "conv(").assertOneLineError(ExitCodes.USAGE);
    Cli.run(in(), "-o", out(), "--exclude", "[bn").assertOneLineError(ExitCodes.USAGE);
  }

  @Test
  void existingOutputWithoutForceIsAUsageErrorAndStaysUntouched() throws Exception {
    Path out = out();
    Files.writeString(out, "precious");
    String line = Cli.run(in(), "-o", out).assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("--force"), line);
    assertEquals("precious", Files.readString(out));
  }

  @Test
  void outputThatIsTheInputWithoutInPlaceIsAUsageError() {
    Path in = in();
    String hash = TestFiles.sha256(in);
    for (Object[] args : new Object[][] {{in, "-o", in}, {in, "-o", in, "--force"},
        {in, "-o", dir.resolve("sub/../model.onnx")}}) {
      String line = Cli.run(args).assertOneLineError(ExitCodes.USAGE).errorLine();
      assertTrue(line.contains("--in-place"), Arrays.toString(args) + ": " + line);
    }
    assertEquals(hash, TestFiles.sha256(in));
    assertEquals(Set.of("model.onnx"), TestFiles.listing(dir));
  }

  @Test
  void inPlaceWithAnotherOutputIsAUsageError() {
    Path in = in();
    String hash = TestFiles.sha256(in);
    Cli.run(in, "--in-place", "-o", out()).assertOneLineError(ExitCodes.USAGE);
    assertEquals(hash, TestFiles.sha256(in));
  }

  @Test
  void reportOverTheInputOrTheOutputIsAUsageError() {
    Path in = in();
    String hash = TestFiles.sha256(in);
    Cli.run(in, "--dry-run", "--report", in).assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "-o", out(), "--report", out()).assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "--in-place", "--report", in).assertOneLineError(ExitCodes.USAGE);
    assertEquals(hash, TestFiles.sha256(in));
    assertEquals(Set.of("model.onnx"), TestFiles.listing(dir));
  }

  @Test
  void existingReportWithoutForceIsAUsageError() throws Exception {
    Path report = dir.resolve("plan.json");
    Files.writeString(report, "{}");
    Cli.run(in(), "-o", out(), "--report", report).assertOneLineError(ExitCodes.USAGE);
    assertEquals("{}", Files.readString(report));
    assertFalse(Files.exists(out()), "nothing is written when the report is refused");
    Cli.run(in(), "-o", out(), "--report", report, "--force", "-q").assertOk();
    assertTrue(Files.readString(report).contains("\"entries\""));
  }

  @Test
  void outputOrReportThatIsAPipeOrFolderIsRefusedEvenWithForce() throws Exception {
    Path fifo = dir.resolve("pipe.onnx");
    Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
    Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is available");
    Path folder = Files.createDirectory(dir.resolve("folder"));
    Path in = in();

    Cli.run(in, "-o", fifo, "--force").assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "-o", folder, "--force").assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "--dry-run", "--report", fifo, "--force").assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "--dry-run", "--report", folder, "--force").assertOneLineError(ExitCodes.USAGE);
    Cli.run("models", "build", "mlp", "--hidden", "8", "-o", fifo, "--force").assertOneLineError(ExitCodes.USAGE);

    assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the pipe is still a pipe");
    assertTrue(Files.isDirectory(folder));
    assertEquals(Set.of("model.onnx", "pipe.onnx", "folder"), TestFiles.listing(dir));
  }

  // invalid input: 3

  @Test
  void missingInputIsAnInvalidModel() {
    String line = Cli.run(dir.resolve("nope.onnx"), "-o", out()).assertOneLineError(ExitCodes.INVALID_MODEL)
        .errorLine();
    assertTrue(line.contains("nope.onnx"), "names the file: " + line);
  }

  @Test
  void folderAsInputIsAnInvalidModel() throws Exception {
    Path folder = Files.createDirectory(dir.resolve("folder.onnx"));
    Cli.run(folder, "-o", out()).assertOneLineError(ExitCodes.INVALID_MODEL);
  }

  @Test
  void emptyFileIsAnInvalidModel() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.onnx"));
    Cli.run(empty, "-o", out()).assertOneLineError(ExitCodes.INVALID_MODEL);
  }

  @Test
  void textFileIsAnInvalidModel() throws Exception {
    Path text = Files.writeString(dir.resolve("notes.onnx"), "this is not a model\nsecond line\n");
    Cli.run(text, "-o", out()).assertOneLineError(ExitCodes.INVALID_MODEL);
  }

  @Test
  void truncatedModelIsAnInvalidModelAndNothingIsWritten() throws Exception {
    byte[] whole = Files.readAllBytes(TestFiles.sample());
    Path half = Files.write(dir.resolve("half.onnx"), Arrays.copyOf(whole, whole.length / 2));
    String line = Cli.run(half, "-o", out()).assertOneLineError(ExitCodes.INVALID_MODEL).errorLine();
    assertTrue(line.contains("half.onnx"), "names the file: " + line);
    assertEquals(Set.of("half.onnx"), TestFiles.listing(dir), "no output, no temp file");
  }

  @Test
  void dryRunOfAnInvalidModelIsAnInvalidModel() throws Exception {
    Path text = Files.writeString(dir.resolve("notes.onnx"), "x");
    Cli.run(text, "--dry-run").assertOneLineError(ExitCodes.INVALID_MODEL);
  }

  // I/O: 4

  @Test
  void missingOutputFolderIsAnIoError() {
    Path in = in();
    String line = Cli.run(in, "-o", dir.resolve("no/such/folder/out.onnx")).assertOneLineError(ExitCodes.IO)
        .errorLine();
    assertTrue(line.contains("folder"), line);
    assertEquals(Set.of("model.onnx"), TestFiles.listing(dir));
  }

  @Test
  void missingReportFolderIsAnIoErrorBeforeAnythingIsWritten() {
    Path in = in();
    Cli.run(in, "-o", out(), "--report", dir.resolve("no/such/plan.json")).assertOneLineError(ExitCodes.IO);
    assertEquals(Set.of("model.onnx"), TestFiles.listing(dir), "the model is not written either");
  }

  @Test
  void outOfMemoryIsAnIoErrorWithOneLineNotAStackTrace() throws Exception {
    // a child JVM with a small heap: building a 283 MB MLP cannot fit in 48 MB
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(javaBin.toString(), "-Xmx48m", "-cp", System.getProperty("java.class.path"),
        ZeroInitCommand.class.getName(), "models", "build", "mlp", "--hidden", "8192", "-o",
        dir.resolve("big.onnx").toString())
        .redirectOutput(dir.resolve("stdout.txt").toFile())
        .redirectError(dir.resolve("stderr.txt").toFile())
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
    Cli.Run r = new Cli.Run(p.exitValue(), Files.readString(dir.resolve("stdout.txt")),
        Files.readString(dir.resolve("stderr.txt")));
    String line = r.assertOneLineError(ExitCodes.IO).errorLine();
    assertTrue(line.contains("not enough memory") && line.contains("-Xmx"), line);
    assertFalse(Files.exists(dir.resolve("big.onnx")));
  }
}
