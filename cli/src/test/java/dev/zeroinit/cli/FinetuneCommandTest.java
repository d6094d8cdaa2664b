package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.testing.Fixtures;
import dev.zeroinit.verify.OrtRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zero-init finetune} and {@code zero-init eval} on Fashion-MNIST, through the command line:
 * the paper's MLP built and ZerO-initialised by the tool itself, trained, written, evaluated.
 */
class FinetuneCommandTest {
  @TempDir
  static Path shared;
  static Path data;
  static Path zero;

  @BeforeAll
  static void models() {
    data = Fixtures.requireDirectory(Path.of("/usr/share/datasets/fashion-mnist"),
        "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
    Path mlp = shared.resolve("mlp.onnx");
    zero = shared.resolve("mlp_zero.onnx");
    Cli.run("models", "build", "mlp", "-o", mlp).assertOk();
    Cli.run(mlp, "-o", zero, "-q").assertOk();
  }

  static List<String> rows(Path csv) throws Exception {
    return Files.readAllLines(csv);
  }

  /** Every column of the metrics CSV but samples/s (a timing). */
  static List<String> withoutSpeed(List<String> rows) {
    return rows.stream().map(r -> r.substring(0, r.lastIndexOf(','))).collect(Collectors.toList());
  }

  @Test
  void trainsWritesTheModelAndEvalReproducesTheLastTestAccuracy(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("trained.onnx");
    Path csv = dir.resolve("metrics.csv");
    Path png = dir.resolve("curves.png");
    Cli.Run r = Cli.run("finetune", zero, "--data", data, "--limit", 2000, "--epochs", 2,
        "--warmup-epochs", 1, "--threads", 1, "--device", "cpu", "-o", out, "--metrics", csv,
        "--plot", png).assertOk();
    assertTrue(r.out().contains("CPUExecutionProvider (cpu)"), r.out());
    assertTrue(r.out().contains("31 steps of 64 per epoch (16 samples of the last partial batch left out"),
        r.out());
    assertTrue(r.out().contains("epoch 2/2  train loss"), r.out());
    assertTrue(r.out().contains("wrote " + out.toAbsolutePath() + ": test accuracy"), r.out());

    List<String> rows = rows(csv);
    assertEquals("epoch,step,lr,train_loss,train_acc,test_loss,test_acc,samples_per_s", rows.get(0));
    assertEquals(3, rows.size());
    String[] last = rows.get(2).split(",");
    assertEquals("2", last[0]);
    assertEquals("62", last[1]);
    byte[] magic = Files.readAllBytes(png);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(magic, 4));

    try (OnnxModel m = OnnxModel.read(out)) {
      Map<String, String> meta = m.proto().getMetadataPropsList().stream()
          .collect(Collectors.toMap(Onnx.StringStringEntryProto::getKey,
              Onnx.StringStringEntryProto::getValue));
      assertTrue(meta.get("dev.zeroinit.finetune.options").startsWith("--epochs 2 --batch 64 --lr 0.1"),
          meta.toString());
      assertEquals(last[6], meta.get("dev.zeroinit.finetune.test-accuracy"));
      assertTrue(meta.containsKey("dev.zeroinit.version"));
    }

    Path json = dir.resolve("eval.json");
    Cli.Run e = Cli.run("eval", out, "--data", data, "--limit", 2000, "--threads", 1, "--json", json)
        .assertOk();
    assertTrue(e.out().contains("(the same)"), e.out());
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals(Double.parseDouble(last[6]), j.get("accuracy").asDouble(), 0.0);
    assertEquals(Double.parseDouble(last[5]), j.get("loss").asDouble(), 1e-6);
    assertEquals(2000, j.get("samples").asInt());
    Cli.run("eval", out, "--data", data, "--json", json).assertOneLineError(ExitCodes.USAGE);
  }

  @Test
  void resumeContinuesTheRunExactly(@TempDir Path dir) throws Exception {
    Object[] common = {"--data", data, "--limit", 640, "--warmup-epochs", 1, "--schedule", "constant",
        "--threads", 1, "--device", "cpu", "-q"};
    Cli.run(concat(new Object[] {"finetune", zero, "--epochs", 3, "-o", dir.resolve("a.onnx"),
        "--metrics", dir.resolve("a.csv")}, common)).assertOk();
    Cli.run(concat(new Object[] {"finetune", zero, "--epochs", 1, "-o", dir.resolve("b1.onnx"),
        "--checkpoint-dir", dir.resolve("ck")}, common)).assertOk();
    assertTrue(Files.exists(dir.resolve("ck").resolve("last.ckpt")));
    Cli.run(concat(new Object[] {"finetune", zero, "--epochs", 3, "-o", dir.resolve("b.onnx"),
        "--metrics", dir.resolve("b.csv"), "--checkpoint-dir", dir.resolve("ck"), "--resume"}, common))
        .assertOk();
    assertEquals(withoutSpeed(rows(dir.resolve("a.csv"))), withoutSpeed(rows(dir.resolve("b.csv"))));
    try (OnnxModel a = OnnxModel.read(dir.resolve("a.onnx"));
        OnnxModel b = OnnxModel.read(dir.resolve("b.onnx"))) {
      assertEquals(a.materializedProto().getGraph().getInitializerList(),
          b.materializedProto().getGraph().getInitializerList(), "the same trained weights");
    }
    // another learning rate cannot continue this checkpoint
    String line = Cli.run(concat(new Object[] {"finetune", zero, "--epochs", 3, "--lr", 0.05, "-o",
        dir.resolve("c.onnx"), "--checkpoint-dir", dir.resolve("ck"), "--resume"}, common))
        .assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(line.contains("cannot resume: it was made with --lr 0.1, this run has 0.05"), line);
    assertFalse(Files.exists(dir.resolve("c.onnx")));
  }

  @Test
  void badRunsFailWithOneLineAndTheirCode(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.onnx");
    Files.writeString(dir.resolve("exists.onnx"), "x");
    Cli.run("finetune", zero, "--data", data, "-o", dir.resolve("exists.onnx"))
        .assertOneLineError(ExitCodes.USAGE);
    Cli.run("finetune", zero, "--data", data, "-o", out, "--schedule", "linear")
        .assertOneLineError(ExitCodes.USAGE);
    Cli.run("finetune", zero, "--data", data, "-o", out, "--epochs", 0).assertOneLineError(ExitCodes.USAGE);
    Cli.run("finetune", zero, "--data", data, "-o", out, "--resume").assertOneLineError(ExitCodes.USAGE);
    Cli.run("finetune", zero, "--data", data, "-o", out, "--freeze", "(").assertOneLineError(ExitCodes.USAGE);
    Cli.run("finetune", zero, "--data", dir, "-o", out).assertOneLineError(ExitCodes.INVALID_MODEL);
    Cli.run("finetune", zero, "--data", data, "--loss", "mse", "-o", out, "--limit", 100)
        .assertOneLineError(ExitCodes.USAGE);
    String diverged = Cli.run("finetune", zero, "--data", data, "--limit", 640, "--epochs", 1, "--lr", 1e20,
        "--warmup-epochs", 0, "--schedule", "constant", "--threads", 1, "-o", out)
        .assertOneLineError(ExitCodes.CHECK_FAILED).errorLine();
    assertTrue(diverged.contains("training diverged"), diverged);

    Path cnn = dir.resolve("cnn.onnx");
    Cli.run("models", "build", "sample-resnet", "-o", cnn).assertOk();
    String fit = Cli.run("finetune", cnn, "--data", data, "--limit", 100, "-o", out)
        .assertOneLineError(ExitCodes.USAGE).errorLine();
    assertTrue(fit.contains("samples of [1,28,28] do not fit the model's input 'input' [N,3,32,32]"), fit);

    // an op without a derivative rule: the model cannot be trained
    ModelBuilder m = new ModelBuilder("sin").opset(17);
    GraphBuilder g = m.graph();
    String x = g.input("input", Onnx.TensorProto.DataType.FLOAT, -1, 784);
    String y = g.op("Sin", new String[] {g.gemm(x, 10, true)});
    g.declare(y, Onnx.TensorProto.DataType.FLOAT_VALUE, -1, 10);
    g.output(y);
    Path sin = dir.resolve("sin.onnx");
    Files.write(sin, m.build().toByteArray());
    String op = Cli.run("finetune", sin, "--data", data, "--limit", 100, "-o", out)
        .assertOneLineError(ExitCodes.INVALID_MODEL).errorLine();
    assertTrue(op.startsWith("zero-init: " + sin + ": cannot be trained: no derivative for Sin"), op);
    assertFalse(Files.exists(out), "nothing written");

    if (OrtRuntime.cudaUnavailableReason() != null) {
      Cli.run("finetune", zero, "--data", data, "--device", "cuda", "-o", out, "--limit", 100)
          .assertOneLineError(ExitCodes.DEVICE_UNAVAILABLE);
    }
    Cli.run("eval", zero, "--data", data, "--split", "validation").assertOneLineError(ExitCodes.USAGE);
  }

  @Test
  void evalOfTheUntrainedZeroModelIsChance(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("e.json");
    Cli.run("eval", zero, "--data", data, "--limit", 1000, "--threads", 1, "--json", json, "-q").assertOk();
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    assertEquals(1000, j.get("samples").asInt());
    assertTrue(j.get("accuracy").asDouble() < 0.3, j.toString());
    assertTrue(j.get("normalize").isNull());
  }

  static Object[] concat(Object[] a, Object[] b) {
    Object[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  @Test
  void helpListsTheOptions() {
    Cli.Run r = Cli.run("finetune", "--help").assertOk();
    for (String o : List.of("--data", "--format", "--normalize", "--limit", "--seed", "--epochs", "--batch",
        "--lr", "--momentum", "--nesterov", "--weight-decay", "--optimizer", "--loss", "--freeze",
        "--warmup-epochs", "--schedule", "--crop-pad", "--flip", "--device", "--threads", "--spin",
        "--metrics", "--plot", "--checkpoint-dir", "--resume")) {
      assertTrue(r.out().contains(o), o);
    }
    Assumptions.assumeTrue(true);
    assertTrue(Cli.run("eval", "--help").assertOk().out().contains("--json"));
  }
}
