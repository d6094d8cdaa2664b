package dev.zeroinit.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanEntry;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.init.RewriteJob;
import dev.zeroinit.init.Role;
import dev.zeroinit.onnxio.WriteOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The five checks catch what they should, on models built in code. */
class SignalCheckTest {
  static final VerifyConfig CPU = VerifyConfig.defaults().withDevice(Device.CPU).withThreads(1);

  static SignalReport.Status status(SignalReport r, int check) {
    return r.checks().get(check - 1).status();
  }

  @Test
  void anAllZeroWeightChainFailsOutputsNonZeroAndOutputsFollowTheInput(@TempDir Path dir) throws Exception {
    SignalReport r = Verifier.verify(TestModels.write(dir, "zero.onnx", TestModels.zeroChain()), null, CPU);
    assertEquals(SignalReport.Verdict.FAIL, r.verdict());
    assertEquals(SignalReport.Status.PASS, status(r, 1), "zeros are finite");
    assertEquals(SignalReport.Status.FAIL, status(r, 2));
    assertTrue(r.checks().get(1).detail().contains("y is all zero"), r.checks().get(1).detail());
    assertEquals(SignalReport.Status.FAIL, status(r, 3));
    assertTrue(r.checks().get(2).detail().contains("y: relative change 0"), r.checks().get(2).detail());
    assertEquals(SignalReport.Status.FAIL, status(r, 4), "both Gemms are dead and nothing planned them zero");
    assertEquals(SignalReport.Status.FAIL, status(r, 5));
    assertEquals(2, r.layers().size());
    assertTrue(r.layers().stream().allMatch(l -> l.stats().allZero() && l.expectedZero() == null));
    String text = SignalTable.render(r, null);
    assertTrue(text.strip().lines().reduce((a, b) -> b).orElseThrow().startsWith("verdict: FAIL: 4 of 5 checks failed"),
        text);
    assertTrue(text.contains("ALL ZERO"));
  }

  @Test
  void branchesThePlanZeroedAreListedAsExpectedAndPass(@TempDir Path dir) throws Exception {
    Path original = TestModels.write(dir, "res.onnx", TestModels.residualCnn());
    Path zero = dir.resolve("res.zero.onnx");
    RewriteJob.Result job = RewriteJob.run(original, zero, PlanOptions.defaults(), WriteOptions.defaults(), Map.of());
    List<PlanEntry> zeroed = job.plan().entries().stream()
        .filter(e -> e.role() == Role.WEIGHT && "zero".equals(e.rule())).toList();
    assertEquals(2, zeroed.size(), "each block's last conv is zeroed: " + zeroed);

    SignalReport r = Verifier.verify(zero, job.plan(), CPU);
    assertEquals(SignalReport.Verdict.PASS, r.verdict(), SignalTable.render(r, null));
    List<SignalReport.Layer> expected = r.expectedZero();
    // per block: the zeroed conv and the BatchNormalization after it
    assertEquals(4, expected.size(), expected.toString());
    assertTrue(expected.stream().allMatch(l -> l.stats().allZero()));
    assertTrue(expected.get(0).expectedZero().contains("zeroed by the plan"), expected.get(0).expectedZero());
    assertTrue(expected.get(1).expectedZero().startsWith("downstream of "), expected.get(1).expectedZero());
    assertTrue(r.checks().get(3).detail().contains("except 4 zeroed on purpose by the plan"), r.checks().get(3).detail());
    // the residual Adds carry the skip path: not zero
    assertTrue(r.layers().stream().filter(l -> l.kind() == Probes.Kind.RESIDUAL).noneMatch(l -> l.stats().allZero()));

    // planning the file itself (verify MODEL) finds the same branches
    SignalReport again = Verifier.verify(zero, null, CPU);
    assertEquals(4, again.expectedZero().size());
    assertEquals(SignalReport.Verdict.PASS, again.verdict());

    // without the plan's word for it, the same zero layers fail check 4
    Plan plain = dev.zeroinit.init.Planner.plan(dev.zeroinit.onnxio.proto.Onnx.ModelProto.parseFrom(
        Files.readAllBytes(zero)), PlanOptions.defaults().withResidual(ResidualMode.PLAIN));
    SignalReport noPlan = Verifier.verify(zero, plain, CPU);
    assertEquals(SignalReport.Status.FAIL, status(noPlan, 4));
    assertTrue(noPlan.checks().get(3).detail().startsWith("4 of "), noPlan.checks().get(3).detail());
  }

  @Test
  void theOriginalSideBySide(@TempDir Path dir) throws Exception {
    Path original = TestModels.write(dir, "res.onnx", TestModels.residualCnn());
    Path zero = dir.resolve("res.zero.onnx");
    RewriteJob.run(original, zero, PlanOptions.defaults(), WriteOptions.defaults(), Map.of());
    SignalReport now = Verifier.verify(zero, null, CPU);
    SignalReport before = Verifier.verify(original, null, CPU);
    assertEquals(now.layers().size(), SignalTable.matchLayers(now, before).size());
    String text = SignalTable.render(now, before);
    assertTrue(text.contains("against the original " + original), text);
    assertTrue(text.contains("RMS original") && text.contains("now/original"), text);
    // same seed, same inputs: the first layer sees the same input in both runs
    assertEquals(now.inputs().get(0).rms(), before.inputs().get(0).rms());

    byte[] png = SignalPlot.png(now, before, 900, 600);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    assertTrue(png.length > 10_000, "a real chart, " + png.length + " bytes");

    JsonNode json = new ObjectMapper().readTree(SignalJson.toJson(now, before, Map.of("tool", "test")));
    assertEquals("PASS", json.get("verdict").asText());
    assertEquals("CPUExecutionProvider", json.get("executionProvider").get("name").asText());
    assertEquals(now.layers().size(), json.get("layers").size());
    assertEquals(5, json.get("checks").size());
    assertTrue(json.get("layers").get(0).has("rank"));
    assertEquals(now.layers().size(), json.get("layersAgainstOriginal").size());
    assertEquals("PASS", json.get("against").get("verdict").asText());
  }

  @Test
  void nonFiniteOutputsFailCheckOne(@TempDir Path dir) throws Exception {
    SignalReport r = Verifier.verify(TestModels.write(dir, "log.onnx", TestModels.logOfInput()), null, CPU);
    assertEquals(SignalReport.Status.FAIL, status(r, 1), r.checks().get(0).detail());
    assertTrue(r.checks().get(0).detail().contains("not finite"));
  }

  @Test
  void aGainOutsideTheBandFailsCheckFive(@TempDir Path dir) throws Exception {
    Path m = TestModels.write(dir, "loud.onnx", TestModels.loud());
    SignalReport r = Verifier.verify(m, null, CPU);
    assertEquals(SignalReport.Status.FAIL, status(r, 5));
    assertTrue(r.checks().get(4).detail().contains("outside [0.001, 1000]"), r.checks().get(4).detail());
    assertEquals(SignalReport.Verdict.PASS, Verifier.verify(m, null, CPU.withGainBand(1, 1e9)).verdict());
  }

  @Test
  void tokenModelsMeasureGainAgainstTheEmbedding(@TempDir Path dir) throws Exception {
    Path m = TestModels.write(dir, "lm.onnx", TestModels.tokens(20));
    SignalReport r = Verifier.verify(m, null, CPU.withDims(Map.of("seq", 5L)));
    assertEquals(SignalReport.Verdict.PASS, r.verdict(), SignalTable.render(r, null));
    assertEquals("e", r.reference().tensor());
    assertTrue(r.reference().what().startsWith("embedding lookup"));
    assertTrue(r.layers().stream().anyMatch(l -> l.kind() == Probes.Kind.RESIDUAL && l.output().equals("res")));
  }

  @Test
  void float64ConvIsReportedAsNotRunnableOnTheCpu(@TempDir Path dir) throws Exception {
    SignalReport r = Verifier.verify(TestModels.write(dir, "f64.onnx", TestModels.float64Conv()), null, CPU);
    assertEquals(SignalReport.Verdict.NOT_RUNNABLE, r.verdict());
    assertTrue(r.notRunnableReason().contains("Could not find an implementation for Conv"), r.notRunnableReason());
    assertTrue(r.checks().isEmpty());
    assertTrue(SignalTable.render(r, null).contains("verdict: NOT RUNNABLE on this provider"));
  }

  @Test
  void inputTypesTheJavaApiCannotCreateAreNotRunnable(@TempDir Path dir) throws Exception {
    SignalReport r = Verifier.verify(TestModels.write(dir, "u32.onnx", TestModels.uint32Input()), null, CPU);
    assertEquals(SignalReport.Verdict.NOT_RUNNABLE, r.verdict());
    assertTrue(r.notRunnableReason().contains("UINT32"), r.notRunnableReason());
  }

  @Test
  void cudaAskedForWhereItCannotLoadIsAnErrorNotACpuRun(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(OrtRuntime.cudaReason(OrtRuntime.environment()) != null,
        "this machine can use CUDA; the error path is not reachable here");
    Path m = TestModels.write(dir, "res.onnx", TestModels.residualCnn());
    DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
        () -> Verifier.verify(m, null, CPU.withDevice(Device.CUDA)));
    assertFalse(e.getMessage().isBlank());
    // auto falls back to the CPU and says why
    SignalReport r = Verifier.verify(m, null, CPU.withDevice(Device.AUTO));
    assertEquals(OrtRuntime.CPU, r.provider().name());
    assertEquals(e.getMessage(), r.provider().fallbackReason());
    assertTrue(r.provider().describe().contains("CUDA not used: " + e.getMessage()));
  }

  @Test
  void theModelFileIsNeverWritten(@TempDir Path dir) throws Exception {
    Path m = TestModels.write(dir, "res.onnx", TestModels.residualCnn());
    FileTime before = Files.getLastModifiedTime(m);
    byte[] bytes = Files.readAllBytes(m);
    Files.setLastModifiedTime(m, FileTime.fromMillis(before.toMillis() - 10_000));
    FileTime set = Files.getLastModifiedTime(m);
    Verifier.verify(m, null, CPU);
    assertArrayEquals(bytes, Files.readAllBytes(m));
    assertEquals(set, Files.getLastModifiedTime(m));
    try (var s = Files.list(dir)) {
      assertEquals(List.of(m), s.toList(), "nothing else written beside it");
    }
  }

  @Test
  void relativeChangeOfOutputs() {
    HostTensor a = HostTensor.of(dev.zeroinit.onnxio.tensor.DataType.FLOAT, new long[] {2},
        TensorStatsTest.floats(3, 4));
    HostTensor b = HostTensor.of(dev.zeroinit.onnxio.tensor.DataType.FLOAT, new long[] {2},
        TensorStatsTest.floats(3, 4));
    HostTensor c = HostTensor.of(dev.zeroinit.onnxio.tensor.DataType.FLOAT, new long[] {2},
        TensorStatsTest.floats(0, 4));
    assertEquals(0, Verifier.relativeChange(a, b));
    assertEquals(3.0 / 5, Verifier.relativeChange(a, c), 1e-12);
  }
}
