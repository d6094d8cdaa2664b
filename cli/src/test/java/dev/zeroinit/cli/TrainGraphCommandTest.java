package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zero-init train-graph}. */
class TrainGraphCommandTest {
  @TempDir
  Path dir;

  private Path mlp() {
    Path m = dir.resolve("mlp.onnx");
    Cli.run("models", "build", "mlp", "--hidden", "16", "-o", m).assertOk();
    return m;
  }

  private static List<String> names(List<Onnx.ValueInfoProto> l) {
    return l.stream().map(Onnx.ValueInfoProto::getName).toList();
  }

  @Test
  void writesTheStepGraphWithItsContract() {
    Path m = mlp();
    Path out = dir.resolve("step.onnx");
    Cli.Run r = Cli.run("train-graph", m, "-o", out, "--batch", "8").assertOk();
    assertTrue(r.out().contains("4 trainable tensors"), r.out());
    ModelProto step = TestFiles.load(out);
    List<String> in = names(step.getGraph().getInputList());
    assertTrue(in.containsAll(List.of("input", "targets", "lr", "step", "fc1.gemm.weight",
        "fc1.gemm.weight.momentum")), in.toString());
    List<String> outs = names(step.getGraph().getOutputList());
    assertTrue(outs.containsAll(List.of("loss", "correct", "step.new", "fc1.gemm.weight.new",
        "fc1.gemm.weight.momentum.new")), outs.toString());
    assertEquals(8, step.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0)
        .getDimValue());
  }

  @Test
  void jsonDescribesEveryCarriedValue() throws Exception {
    Path m = mlp();
    Cli.Run r = Cli.run("train-graph", m, "-o", dir.resolve("s.onnx"), "--optimizer", "adamw",
        "--betas", "0.9,0.95", "--freeze", "fc1", "--json").assertOk();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("adamw", j.get("optimizer").get("kind").asText());
    assertEquals(0.95, j.get("optimizer").get("betas").get(1).asDouble());
    assertTrue(j.get("notTrained").has("fc1.gemm.weight"));
    boolean sawExpAvg = false;
    for (JsonNode c : j.get("carried")) {
      assertEquals(c.get("input").asText() + ".new", c.get("output").asText());
      sawExpAvg |= c.get("role").asText().equals("exp_avg");
    }
    assertTrue(sawExpAvg, r.out());
  }

  @Test
  void anOpWithoutDerivativeIsOneLineAndExitCode3() throws Exception {
    ModelBuilder mb = new ModelBuilder("m");
    GraphBuilder g = mb.graph();
    String x = g.input("input", Onnx.TensorProto.DataType.FLOAT, -1, 4);
    String h = g.op("Sin", new String[] {g.gemm(x, 3, true)});
    g.declare(h, Onnx.TensorProto.DataType.FLOAT_VALUE, -1, 3);
    g.output(g.rename(h, "logits"));
    Path m = dir.resolve("sin.onnx");
    Files.write(m, mb.build().toByteArray());
    Path out = dir.resolve("step.onnx");
    Cli.Run r = Cli.run("train-graph", m, "-o", out).assertOneLineError(ExitCodes.INVALID_MODEL);
    assertTrue(r.errorLine().contains("no derivative for Sin node 'sin'"), r.errorLine());
    assertFalse(Files.exists(out));
  }

  @Test
  void badOptionsAreUsageErrors() {
    Path m = mlp();
    Path out = dir.resolve("s.onnx");
    Cli.run("train-graph", m, "-o", out, "--loss", "hinge").assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "--optimizer", "adamw", "--nesterov")
        .assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "--momentum", "0", "--nesterov")
        .assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "--freeze", "(").assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "--optimizer", "adamw", "--betas", "0.9")
        .assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "-q").assertOk();
    Cli.run("train-graph", m, "-o", out).assertOneLineError(ExitCodes.USAGE);
    Cli.run("train-graph", m, "-o", out, "--force", "--loss", "lm")
        .assertOneLineError(ExitCodes.INVALID_MODEL);
  }
}
