package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zero-init verify --grad}: the gradient check after the signal check; output, JSON, exit codes. */
class VerifyCommandGradTest {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  @TempDir
  static Path shared;
  static Path zero;

  @BeforeAll
  static void models() {
    Path original = shared.resolve("sample.onnx");
    zero = shared.resolve("sample.zero.onnx");
    Cli.run("models", "build", "sample-resnet", "-o", original).assertOk();
    Cli.run(original, "-o", zero, "-q").assertOk();
  }

  private static String lastLine(Cli.Run r) {
    List<String> lines = r.out().strip().lines().toList();
    return lines.get(lines.size() - 1);
  }

  @Test
  void aZeroLastResNetPassesAndListsTheGradientsItsZeroedBranchesBlock(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");
    Cli.Run r = Cli.run("verify", zero, "--grad", "--device", "cpu", "--threads", "1", "--json", json).assertOk();
    String out = r.out();
    assertTrue(out.contains("verdict: PASS: the signal passes through"), out);
    assertTrue(out.contains("gradient check: " + zero), out);
    assertEquals(2, out.lines().filter(l -> l.equals("execution provider: CPUExecutionProvider (cpu)")).count(), out);
    assertTrue(out.contains("loss: cross-entropy (ce) on 'logits' (shape [?, 10]: class logits) = "), out);
    assertTrue(out.contains("  targets  INT64  8          class labels in [0, 10), seed 0"), out);
    assertTrue(out.contains("  layer1.0.conv.weight: every path from it to the loss passes a weight the plan zeroed on "
        + "purpose: layer1.0.conv_1.weight (last layer of residual block #1, Add 'layer1.0.add')"), out);
    assertTrue(lastLine(r).startsWith("verdict: PASS: the gradient reaches every trainable tensor (47 of 47 finite; "
        + "23 non-zero, 24 zero as the plan explains) on CPUExecutionProvider"), lastLine(r));

    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals("PASS", j.get("verdict").asText(), "the signal check's report stays at the top");
    JsonNode g = j.get("gradient");
    assertEquals("PASS", g.get("verdict").asText());
    assertEquals("ce", g.get("loss").get("kind").asText());
    assertEquals(24, g.get("counts").get("ZERO-EXPECTED").asInt());
    assertEquals(23, g.get("counts").get("OK").asInt());
    assertEquals(47, g.get("tensors").size());
    JsonNode first = g.get("tensors").get(0);
    assertEquals("stem.conv.weight", first.get("name").asText());
    assertEquals("OK", first.get("status").asText());
    assertTrue(first.get("rms").asDouble() > 0);
    List<String> expected = new ArrayList<>();
    g.get("tensors").forEach(t -> {
      if (t.get("status").asText().equals("ZERO-EXPECTED")) {
        expected.add(t.get("name").asText());
      }
    });
    assertEquals(List.of("layer1.0.conv.weight", "layer1.0.bn.weight", "layer1.0.bn.bias", "layer1.0.bn_1.weight"),
        expected.subList(0, 4));
  }

  @Test
  void aGradientTheSignalCheckCannotSeeFailsWithExitFiveAndNamesTheTensor(@TempDir Path dir) throws IOException {
    Path m = Files.write(dir.resolve("gated.onnx"), gated().toByteArray());
    Cli.Run r = Cli.run("verify", m, "--grad", "--device", "cpu");
    assertEquals(ExitCodes.CHECK_FAILED, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("verdict: PASS: the signal passes through"), "the forward signal is fine: " + r.out());
    assertTrue(r.out().contains("zero gradients nothing the plan did explains:\n  branch.weight: every path from it "
        + "to the loss passes the all-zero gate, which the plan does not zero on purpose"), r.out());
    assertTrue(lastLine(r).startsWith("verdict: FAIL: 1 of 4 trainable tensors get no usable gradient (1 ZERO: "
        + "branch.weight) on CPUExecutionProvider"), lastLine(r));
    assertEquals("", r.err());
  }

  @Test
  void lossOptionsAreCheckedAndAModelWithoutDerivativesIsExitThree(@TempDir Path dir) throws IOException {
    Cli.Run noGrad = Cli.run("verify", zero, "--loss", "ce").assertOneLineError(ExitCodes.USAGE);
    assertEquals("zero-init: --loss: needs --grad", noGrad.errorLine());
    Cli.Run bad = Cli.run("verify", zero, "--grad", "--loss", "hinge").assertOneLineError(ExitCodes.USAGE);
    assertEquals("zero-init: --loss: unknown loss 'hinge'; choose auto, ce, mse or lm", bad.errorLine());
    Cli.Run lm = Cli.run("verify", zero, "--grad", "--loss", "lm", "--device", "cpu")
        .assertOneLineError(ExitCodes.USAGE);
    assertEquals("zero-init: --loss lm needs a model that reads integer token ids; this one has no integer input",
        lm.errorLine());

    ModelBuilder mb = new ModelBuilder("sine").seed(4);
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 6);
    g.node("Sin", new String[] {g.gemm(x, 6, true)}, new String[] {"s"}).declare("s", FLOAT, -1, 6);
    g.output(g.rename(g.gemm("s", 3, true), "y"));
    Path sine = Files.write(dir.resolve("sine.onnx"), mb.build().toByteArray());
    Cli.Run r = Cli.run("verify", sine, "--grad", "--device", "cpu").assertOneLineError(ExitCodes.INVALID_MODEL);
    assertTrue(r.errorLine().startsWith("zero-init: " + sine + ": --grad: no training step can be built: "),
        r.errorLine());
    assertTrue(r.errorLine().contains("Sin"), r.errorLine());
  }

  /** x [N, 6] -> fc(x) + gate * branch(x) -> y [N, 4], with the gate [4] all zero: branch learns nothing. */
  static ModelProto gated() {
    ModelBuilder mb = new ModelBuilder("gated").seed(5);
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 6);
    g.randomInitializer("fc.weight", FLOAT, new long[] {4, 6}, 0.5);
    g.randomInitializer("fc.bias", FLOAT, new long[] {4}, 0.5);
    g.randomInitializer("branch.weight", FLOAT, new long[] {4, 6}, 0.5);
    g.initializer("gate", FLOAT, new long[] {4}, new float[4]);
    g.node("Gemm", new String[] {x, "fc.weight", "fc.bias"}, new String[] {"main"}, Attr.i("transB", 1));
    g.node("Gemm", new String[] {x, "branch.weight"}, new String[] {"side"}, Attr.i("transB", 1));
    g.node("Mul", new String[] {"side", "gate"}, new String[] {"gated"});
    g.node("Add", new String[] {"main", "gated"}, new String[] {"y"});
    g.output("y", FLOAT, -1, 4);
    return mb.build();
  }
}
