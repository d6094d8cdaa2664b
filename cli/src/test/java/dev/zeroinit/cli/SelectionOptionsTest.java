package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --ops}, {@code --exclude}, {@code --include} and {@code --norm}: what they leave alone stays
 * byte-identical.
 */
class SelectionOptionsTest {
  @TempDir
  Path dir;

  @Test
  void opsGemmLeavesEveryConvWeightByteIdentical() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path out = dir.resolve("out.onnx");
    Cli.run(in, "-o", out, "--ops", "Gemm", "-q").assertOk();

    ModelProto before = TestFiles.load(in);
    Map<String, byte[]> a = TestFiles.initializerBytes(before);
    Map<String, byte[]> b = TestFiles.initializerBytes(TestFiles.load(out));
    List<String> convWeights = TestFiles.inputsOf(before, "Conv", 1);
    assertFalse(convWeights.isEmpty());
    for (String w : convWeights) {
      assertArrayEquals(a.get(w), b.get(w), w + " changed under --ops Gemm");
    }
    for (String w : TestFiles.inputsOf(before, "Gemm", 1)) {
      assertFalse(Arrays.equals(a.get(w), b.get(w)), w + " was not rewritten under --ops Gemm");
    }
  }

  @Test
  void opsIsCaseInsensitiveAndCommaSeparated() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Cli.Run r = Cli.run(in, "--dry-run", "--ops", "gemm,CONV").assertOk();
    assertTrue(r.out().contains("head.gemm.weight"), r.out());
  }

  @Test
  void excludedTensorsStayByteIdenticalAndAreListedAsSkipped() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path out = dir.resolve("out.onnx");
    String regex = "^layer2\\.0\\.conv";
    Cli.run(in, "-o", out, "--exclude", regex, "-q").assertOk();

    Map<String, byte[]> a = TestFiles.initializerBytes(TestFiles.load(in));
    Map<String, byte[]> b = TestFiles.initializerBytes(TestFiles.load(out));
    List<String> matching = new ArrayList<>();
    for (String name : a.keySet()) {
      if (Pattern.compile(regex).matcher(name).find()) {
        matching.add(name);
        assertArrayEquals(a.get(name), b.get(name), name + " was excluded but changed");
      }
    }
    assertEquals(List.of("layer2.0.conv.weight", "layer2.0.conv_1.weight", "layer2.0.conv_2.weight"), matching);

    Cli.Run dry = Cli.run(in, "--dry-run", "--exclude", regex).assertOk();
    for (String row : DryRunAndReportTest.tableRows(dry.out())) {
      String name = row.split("\\s+")[0];
      boolean skipped = row.split("\\s{2,}")[4].equals("skipped");
      assertEquals(matching.contains(name), skipped, row);
    }
    assertTrue(dry.out().contains("; 3 skipped"), dry.out());
  }

  @Test
  void includeRewritesOnlyMatchingTensors() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path out = dir.resolve("out.onnx");
    Cli.run(in, "-o", out, "--include", "^head\\.", "-q").assertOk();
    Map<String, byte[]> a = TestFiles.initializerBytes(TestFiles.load(in));
    Map<String, byte[]> b = TestFiles.initializerBytes(TestFiles.load(out));
    for (String name : a.keySet()) {
      assertEquals(!name.startsWith("head."), Arrays.equals(a.get(name), b.get(name)), name);
    }
  }

  @Test
  void normKeepLeavesBatchNormalizationParametersUntouched() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path kept = dir.resolve("kept.onnx");
    Path reset = dir.resolve("reset.onnx");
    Cli.run(in, "-o", kept, "--norm", "keep", "-q").assertOk();
    Cli.run(in, "-o", reset, "-q").assertOk();

    ModelProto before = TestFiles.load(in);
    Map<String, byte[]> a = TestFiles.initializerBytes(before);
    Map<String, byte[]> k = TestFiles.initializerBytes(TestFiles.load(kept));
    Map<String, byte[]> r = TestFiles.initializerBytes(TestFiles.load(reset));
    List<String> bnParams = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      bnParams.addAll(TestFiles.inputsOf(before, "BatchNormalization", i));
    }
    assertEquals(4 * TestFiles.inputsOf(before, "BatchNormalization", 0).size(), bnParams.size());
    assertFalse(bnParams.isEmpty(), "the sample has BatchNormalization");
    int changedByReset = 0;
    for (String p : bnParams) {
      assertArrayEquals(a.get(p), k.get(p), p + " changed under --norm keep");
      changedByReset += Arrays.equals(a.get(p), r.get(p)) ? 0 : 1;
    }
    assertTrue(changedByReset > 0, "the default resets the seeded BatchNormalization values");
    for (String w : TestFiles.inputsOf(before, "Conv", 1)) {
      assertArrayEquals(r.get(w), k.get(w), w + ": --norm does not change the weights");
    }
  }
}
