package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.verify.OrtRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zero-init verify} and the main job's {@code --verify}: output, files, exit codes. */
class VerifyCommandTest {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  @TempDir
  static Path shared;
  static Path original;
  static Path zero;

  record Run(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = ZeroInitCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void models() {
    original = shared.resolve("sample.onnx");
    zero = shared.resolve("sample.zero.onnx");
    assertEquals(0, run("models", "build", "sample-resnet", "-o", original.toString()).code());
    assertEquals(0, run(original.toString(), "-o", zero.toString(), "-q").code());
  }

  @Test
  void verifyPrintsTheProviderTheTableAndAVerdictAndWritesJsonAndPlot(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");
    Path png = dir.resolve("signal.png");
    Run r = run("verify", zero.toString(), "--threads", "1", "--against", original.toString(), "--json", json.toString(),
        "--plot", png.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("execution provider: CPUExecutionProvider"), r.out());
    assertTrue(r.out().contains("against the original " + original), r.out());
    assertTrue(r.out().contains("zero on purpose"), "residual branch ends, zeroed by the plan: " + r.out());
    assertTrue(r.lastLine().startsWith("verdict: PASS: the signal passes through (5 of 5 checks passed) on "
        + "CPUExecutionProvider"), r.lastLine());
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals("zero-init", j.get("tool").asText());
    assertEquals("PASS", j.get("verdict").asText());
    assertEquals("auto", j.get("executionProvider").get("requested").asText());
    assertTrue(j.get("layers").size() > 10);
    assertEquals("PASS", j.get("against").get("verdict").asText());
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
  }

  @Test
  void theMainJobVerifiesWhatItWrote(@TempDir Path dir) {
    Path out = dir.resolve("z.onnx");
    Run r = run(original.toString(), "-o", out.toString(), "--verify", "--device", "cpu", "--threads", "1");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("tensors rewritten"), r.out());
    assertTrue(r.out().contains("signal check: " + out), r.out());
    assertTrue(r.out().contains("execution provider: CPUExecutionProvider (cpu)"), r.out());
    assertTrue(r.lastLine().startsWith("verdict: PASS"), r.lastLine());
    Run quiet = run(original.toString(), "-o", out.toString(), "--force", "--verify", "-q", "--device", "cpu");
    assertEquals(0, quiet.code());
    assertEquals("", quiet.out());
  }

  @Test
  void aFailedCheckExitsFive(@TempDir Path dir) throws IOException {
    Path m = Files.write(dir.resolve("zero.onnx"), zeroChain().toByteArray());
    Run r = run("verify", m.toString(), "--device", "cpu");
    assertEquals(ExitCodes.CHECK_FAILED, r.code(), r.out() + r.err());
    assertTrue(r.lastLine().startsWith("verdict: FAIL: 4 of 5 checks failed (2 outputs non-zero, 3 outputs follow "
        + "the input, 4 no dead layer, 5 end-to-end gain in band)"), r.lastLine());
  }

  @Test
  void cudaWhereItCannotLoadIsAnErrorWithExitSeven() {
    String reason = OrtRuntime.cudaUnavailableReason();
    Assumptions.assumeTrue(reason != null, "CUDA can be used on this machine");
    Run r = run("verify", zero.toString(), "--device", "cuda");
    assertEquals(ExitCodes.DEVICE_UNAVAILABLE, r.code(), r.out() + r.err());
    assertEquals(7, r.code());
    assertEquals("", r.out(), "no silent CPU run");
    assertEquals("zero-init: --device cuda: CUDA cannot be used here: " + reason
        + " (use --device auto to fall back to the CPU)", r.err().strip());
  }

  @Test
  void aModelTheCpuCannotRunExitsSix(@TempDir Path dir) throws IOException {
    ModelBuilder mb = new ModelBuilder("f64");
    GraphBuilder g = mb.graph();
    String x = g.input("x", TensorProto.DataType.DOUBLE_VALUE, -1, 3, 6, 6);
    g.output(g.rename(g.conv(x, 4, 3, 1, 1, 1, true), "y"));
    Path m = Files.write(dir.resolve("f64.onnx"), mb.build().toByteArray());
    Run r = run("verify", m.toString(), "--device", "cpu");
    assertEquals(ExitCodes.NOT_RUNNABLE, r.code(), r.out() + r.err());
    assertTrue(r.lastLine().startsWith("verdict: NOT RUNNABLE on this provider: ONNX Runtime has no kernel for it "
        + "on the CPU provider: Could not find an implementation for Conv(11)"), r.lastLine());
  }

  @Test
  void usageErrorsExitTwoWithOneLine(@TempDir Path dir) throws IOException {
    ModelBuilder mb = new ModelBuilder("seq");
    GraphBuilder g = mb.graph().dimParams("batch", "seq");
    String x = g.input("x", FLOAT, -1, -1, 4);
    g.output(g.rename(g.matMul(x, 2), "y"));
    Path m = Files.write(dir.resolve("seq.onnx"), mb.build().toByteArray());
    Run dim = run("verify", m.toString());
    assertEquals(ExitCodes.USAGE, dim.code());
    assertEquals("zero-init: input 'x' axis 1 is the symbolic dim 'seq'; set it with --dim seq=VALUE",
        dim.err().strip());
    assertEquals(0, run("verify", m.toString(), "--dim", "seq=3", "--device", "cpu").code());
    assertEquals(ExitCodes.USAGE, run("verify", m.toString(), "--dim", "seq=3", "--device", "gpu").code());
    assertEquals(ExitCodes.USAGE, run("verify", m.toString(), "--dim", "seq=3", "--gain-band", "5").code());
    assertEquals(ExitCodes.USAGE, run("verify", m.toString(), "--dim", "seq=x").code());
    Run noVerify = run(m.toString(), "-o", dir.resolve("o.onnx").toString(), "--device", "cpu");
    assertEquals(ExitCodes.USAGE, noVerify.code());
    assertEquals("zero-init: --device: needs --verify", noVerify.err().strip());
    assertEquals(ExitCodes.USAGE, run(m.toString(), "--dry-run", "--verify").code());
    Run input = run("verify", m.toString(), "--dim", "seq=3", "--input", "y=" + dir.resolve("nope.npy"));
    assertEquals(ExitCodes.USAGE, input.code());
    assertTrue(input.err().contains("the model has no input 'y'; its inputs: x"), input.err());
  }

  /**
   * In a fresh JVM: the main job without --verify loads no ONNX Runtime class, and a verify run
   * leaves no onnxruntime-java* folder in its temp folder.
   */
  @Test
  void onnxRuntimeLoadsOnlyForVerifyAndCleansUpAfterItself(@TempDir Path dir) throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Run job = java(tmp, "-verbose:class", "dev.zeroinit.cli.ZeroInitCommand", original.toString(), "-o",
        dir.resolve("o.onnx").toString(), "-q");
    assertEquals(0, job.code(), job.err());
    assertTrue(job.out().contains("dev.zeroinit.cli.ZeroInitCommand"), "class loading is logged");
    assertFalse(job.out().contains("ai.onnxruntime"), "the main job loaded ONNX Runtime");

    Run verify = java(tmp, "dev.zeroinit.cli.ZeroInitCommand", "verify", zero.toString(), "--device", "cpu",
        "--threads", "1");
    assertEquals(0, verify.code(), verify.out() + verify.err());
    assertTrue(verify.lastLine().startsWith("verdict: PASS"), verify.out());
    try (Stream<Path> s = Files.list(tmp)) {
      List<Path> left = s.filter(p -> p.getFileName().toString().startsWith("onnxruntime-java")).toList();
      assertEquals(List.of(), left, "ONNX Runtime's extraction folder is removed at exit");
    }
  }

  private static Run java(Path tmp, String... args) throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + tmp, "-cp", cp));
    cmd.addAll(Arrays.asList(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    String out;
    String err;
    try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
      var errText = new java.util.concurrent.CompletableFuture<String>();
      Thread t = new Thread(() -> {
        try {
          errText.complete(new String(e.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException ex) {
          errText.complete(ex.toString());
        }
      });
      t.start();
      out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
      err = errText.get(60, TimeUnit.SECONDS);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
    return new Run(p.exitValue(), out, err);
  }

  /** x [batch, 16] -> Gemm(W = 0, b = 0) -> Relu -> Gemm(W = 0) -> y: no signal. */
  static dev.zeroinit.onnxio.proto.Onnx.ModelProto zeroChain() {
    ModelBuilder mb = new ModelBuilder("zero_chain");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 16);
    String w1 = g.initializer("fc1.weight", FLOAT, new long[] {16, 16}, new float[256]);
    String b1 = g.initializer("fc1.bias", FLOAT, new long[] {16}, new float[16]);
    String w2 = g.initializer("fc2.weight", FLOAT, new long[] {4, 16}, new float[64]);
    g.node("Gemm", new String[] {x, w1, b1}, new String[] {"h1"}, Attr.i("transB", 1));
    g.node("Relu", new String[] {"h1"}, new String[] {"a1"});
    g.node("Gemm", new String[] {"a1", w2}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, -1, 4);
    return mb.build();
  }
}
