package dev.zeroinit.finetune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.Device;
import dev.zeroinit.verify.VerifyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gradient check ({@code verify --grad}): one training step on a synthesized batch; statuses OK,
 * ZERO-EXPECTED (explained by the plan's zeroed weights), ZERO and NON-FINITE.
 */
class GradientCheckTest {
  static final int FLOAT = Onnx.TensorProto.DataType.FLOAT_VALUE;
  static final VerifyConfig CPU = VerifyConfig.defaults().withDevice(Device.CPU).withThreads(1);

  @TempDir
  Path dir;

  private GradientReport check(String name, Onnx.ModelProto m) throws Exception {
    return GradientCheck.run(Files.write(dir.resolve(name + ".onnx"), m.toByteArray()), null, CPU, null);
  }

  private static Set<String> names(GradientReport r, GradientReport.Status s) {
    return r.withStatus(s).stream().map(GradientReport.Tensor::name).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void theZeroMlpGetsAFiniteNonZeroGradientInEveryWeight() throws Exception {
    GradientReport r = check("mlp", Models.zeroMlp());
    assertEquals(GradientReport.Verdict.PASS, r.verdict(), GradientTable.render(r));
    assertEquals(LossKind.CROSS_ENTROPY, r.loss());
    assertEquals(List.of("fc1.gemm.weight", "fc2.gemm.weight", "fc3.gemm.weight", "fc4.gemm.weight"),
        r.tensors().stream().map(GradientReport.Tensor::name).toList());
    for (GradientReport.Tensor t : r.tensors()) {
      assertEquals(GradientReport.Status.OK, t.status(), t.name());
      assertTrue(t.stats().rms() > 0 && t.stats().finite(), t.name());
    }
    assertEquals("CPUExecutionProvider", r.provider().name());
    assertEquals("class labels in [0, 10), seed 0", r.targets().source());
    assertTrue(Double.isFinite(r.lossValue()) && r.lossValue() > 0, "loss " + r.lossValue());
  }

  @Test
  void aZeroLastResNetListsExactlyTheBranchLayersBeforeTheZeroedEndAsExpected() throws Exception {
    GradientReport r = check("resnet", Models.zero("sample-resnet",
        ModelOptions.DEFAULTS.withWidthMultiplier(0.25).withImageSize(8)));
    assertEquals(GradientReport.Verdict.PASS, r.verdict(), GradientTable.render(r));
    Set<String> expected = new TreeSet<>();
    for (String block : List.of("layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1")) {
      // the branch's first conv and its BN sit behind the zeroed conv_1; bn_1 scales its zero output
      expected.addAll(List.of(block + ".conv.weight", block + ".bn.weight", block + ".bn.bias",
          block + ".bn_1.weight"));
      GradientReport.Tensor end = tensor(r, block + ".conv_1.weight");
      assertEquals(GradientReport.Status.OK, end.status(), "the zeroed branch end itself gets a gradient");
      assertTrue(end.stats().rms() > 0);
      assertEquals(GradientReport.Status.OK, tensor(r, block + ".bn_1.bias").status());
      String why = tensor(r, block + ".conv.weight").explanation();
      assertTrue(why.startsWith("every path from it to the loss passes a weight the plan zeroed on purpose: "
          + block + ".conv_1.weight (last layer of residual block #"), why);
      assertTrue(tensor(r, block + ".bn_1.weight").explanation().startsWith("it multiplies a tensor made zero by "
          + "a weight the plan zeroed on purpose: " + block + ".conv_1.weight"));
    }
    assertEquals(expected, names(r, GradientReport.Status.ZERO_EXPECTED));
    assertEquals(Set.of(), names(r, GradientReport.Status.ZERO));
    assertEquals(47 - 24, names(r, GradientReport.Status.OK).size());
  }

  @Test
  void theTransformerLmGetsTheLanguageModelLossAndItsZeroedBranchesExplained() throws Exception {
    GradientReport r = check("lm", Models.zero("transformer-lm", ModelOptions.DEFAULTS.withLayers(1).withDModel(16)
        .withHeads(2).withVocab(40).withSeq(6)));
    assertEquals(GradientReport.Verdict.PASS, r.verdict(), GradientTable.render(r));
    assertEquals(LossKind.LANGUAGE_MODEL, r.loss());
    assertEquals("next-token ids in [0, 40), seed 0", r.targets().source());
    assertEquals(Set.of("blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.attn.q.weight", "blocks.0.attn.q.bias",
        "blocks.0.attn.k.weight", "blocks.0.attn.k.bias", "blocks.0.attn.v.weight", "blocks.0.attn.v.bias",
        "blocks.0.ln2.weight", "blocks.0.ln2.bias", "blocks.0.mlp.fc.weight", "blocks.0.mlp.fc.bias"),
        names(r, GradientReport.Status.ZERO_EXPECTED));
    assertEquals(GradientReport.Status.OK, tensor(r, "blocks.0.attn.proj.weight").status());
    assertEquals(GradientReport.Status.OK, tensor(r, "blocks.0.mlp.proj.weight").status());
  }

  @Test
  void anAllZeroWeightInAPlainChainFailsAndNamesTheTensorsItStarves() throws Exception {
    GradientReport r = check("chain", chain(false));
    assertEquals(GradientReport.Verdict.FAIL, r.verdict(), GradientTable.render(r));
    assertEquals(Set.of("fc1.weight", "fc1.bias"), names(r, GradientReport.Status.ZERO));
    assertEquals(Set.of(), names(r, GradientReport.Status.ZERO_EXPECTED));
    assertEquals(GradientReport.Status.OK, tensor(r, "fc2.weight").status(), "the zero weight itself learns");
    assertEquals("every path from it to the loss passes the all-zero fc2.weight, which the plan does not zero on "
        + "purpose", tensor(r, "fc1.weight").explanation());
    assertTrue(GradientTable.verdict(r).startsWith("verdict: FAIL: 2 of 6 trainable tensors get no usable gradient "
        + "(2 ZERO: fc1.weight, fc1.bias) on CPUExecutionProvider"), GradientTable.verdict(r));
  }

  @Test
  void aNanWeightMakesEveryGradientNonFinite() throws Exception {
    GradientReport r = check("nan", chain(true));
    assertEquals(GradientReport.Verdict.FAIL, r.verdict(), GradientTable.render(r));
    for (GradientReport.Tensor t : r.tensors()) {
      assertEquals(GradientReport.Status.NON_FINITE, t.status(), t.name());
      assertTrue(t.explanation().endsWith("values not finite"), t.explanation());
    }
    assertTrue(Double.isNaN(r.lossValue()));
    assertTrue(GradientTable.render(r).contains("NON-FINITE"));
  }

  @Test
  void aRegressionOutputGetsMseAndALossTheModelCannotTakeIsAUsageError() throws Exception {
    ModelBuilder mb = new ModelBuilder("regression").seed(3);
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 6);
    g.output(g.rename(g.gemm(x, 1, true), "y"));
    Path f = Files.write(dir.resolve("regression.onnx"), mb.build().toByteArray());
    GradientReport r = GradientCheck.run(f, null, CPU.withBatch(4), null);
    assertEquals(LossKind.MSE, r.loss());
    assertEquals(GradientReport.Verdict.PASS, r.verdict(), GradientTable.render(r));
    assertEquals("FLOAT", r.targets().type());
    assertEquals(List.of(4L, 1L), java.util.Arrays.stream(r.targets().shape()).boxed().toList());
    GradientCheckException lm = assertThrows(GradientCheckException.class,
        () -> GradientCheck.run(f, null, CPU, LossKind.LANGUAGE_MODEL));
    assertEquals(GradientCheckException.Kind.USAGE, lm.kind());
    assertEquals("--loss lm needs a model that reads integer token ids; this one has no integer input",
        lm.getMessage());
  }

  private static GradientReport.Tensor tensor(GradientReport r, String name) {
    GradientReport.Tensor t = r.tensors().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
    assertNotNull(t, name + " in " + r.tensors().stream().map(GradientReport.Tensor::name).toList());
    return t;
  }

  /**
   * x [N, 8] -> Gemm(fc1) -> Relu -> Gemm(fc2: weight all zero, random bias) -> Relu -> Gemm(fc3) -> y [N, 4];
   * with {@code nan}, fc2's weight is random with one NaN instead.
   */
  static Onnx.ModelProto chain(boolean nan) {
    SplittableRandom rnd = new SplittableRandom(11);
    ModelBuilder mb = new ModelBuilder("chain");
    GraphBuilder g = mb.graph();
    String x = g.input("x", FLOAT, -1, 8);
    float[] w2 = new float[64];
    if (nan) {
      for (int i = 0; i < w2.length; i++) {
        w2[i] = (float) rnd.nextGaussian();
      }
      w2[5] = Float.NaN;
    }
    g.initializer("fc1.weight", FLOAT, new long[] {8, 8}, random(rnd, 64));
    g.initializer("fc1.bias", FLOAT, new long[] {8}, random(rnd, 8));
    g.initializer("fc2.weight", FLOAT, new long[] {8, 8}, w2);
    g.initializer("fc2.bias", FLOAT, new long[] {8}, positive(rnd, 8));
    g.initializer("fc3.weight", FLOAT, new long[] {4, 8}, random(rnd, 32));
    g.initializer("fc3.bias", FLOAT, new long[] {4}, random(rnd, 4));
    g.node("Gemm", new String[] {x, "fc1.weight", "fc1.bias"}, new String[] {"h1"}, Attr.i("transB", 1));
    g.node("Relu", new String[] {"h1"}, new String[] {"a1"});
    g.node("Gemm", new String[] {"a1", "fc2.weight", "fc2.bias"}, new String[] {"h2"}, Attr.i("transB", 1));
    g.node("Relu", new String[] {"h2"}, new String[] {"a2"});
    g.node("Gemm", new String[] {"a2", "fc3.weight", "fc3.bias"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", FLOAT, -1, 4);
    return mb.build();
  }

  private static float[] random(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static float[] positive(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5f + (float) r.nextDouble();
    }
    return v;
  }
}
