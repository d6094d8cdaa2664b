package dev.zeroinit.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The next-token loss on the project's Transformer LM (one block, d_model 8, 2 heads, vocabulary
 * 11, sequence 4; tied embedding read by Gather and by the head through a Transpose, GELU written
 * with Erf, LayerNormalization, causal Softmax): the step graph's loss and correct count against a
 * plain-Java cross-entropy of the forward model's logits, and its gradients against central finite
 * differences of that loss (forward model on ONNX Runtime with the parameters fed as inputs, the
 * loss summed in float64) on four elements of every parameter. Float32: h = 1e-3,
 * |error| <= 2e-4 + 2e-2 |fd|.
 */
class LanguageModelStepTest {
  static final long[] IDS = {1, 5, 7, 1, 3, 3, 9, 0};
  static final long[] NEXT = {5, 7, 1, 2, 3, 9, 0, 4};

  /** Mean next-token cross-entropy and correct count of logits [8 positions, 11]. */
  static double[] lossAndCorrect(double[] logits) {
    double loss = 0;
    long correct = 0;
    for (int t = 0; t < 8; t++) {
      double max = Double.NEGATIVE_INFINITY;
      int arg = 0;
      for (int k = 0; k < 11; k++) {
        if (logits[t * 11 + k] > max) {
          max = logits[t * 11 + k];
          arg = k;
        }
      }
      double sum = 0;
      for (int k = 0; k < 11; k++) {
        sum += Math.exp(logits[t * 11 + k] - max);
      }
      loss -= (logits[t * 11 + (int) NEXT[t]] - max - Math.log(sum)) / 8;
      correct += arg == NEXT[t] ? 1 : 0;
    }
    return new double[] {loss, correct};
  }

  /** The model with its initializers turned into inputs, so that they can be fed. */
  static Onnx.ModelProto parametersAsInputs(Onnx.ModelProto m) {
    Onnx.GraphProto.Builder g = m.getGraph().toBuilder().clearInitializer();
    java.util.Set<String> declared = new java.util.HashSet<>();
    m.getGraph().getInputList().forEach(i -> declared.add(i.getName()));
    for (Onnx.TensorProto t : m.getGraph().getInitializerList()) {
      if (declared.contains(t.getName())) {
        continue; // already an input (initializers listed as inputs)
      }
      g.addInput(GradCheck.info(t.getName(), t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
    }
    return m.toBuilder().setGraph(g).build();
  }

  @Test
  void lossAndGradientsMatchTheForwardModel() throws Exception {
    Onnx.ModelProto lm = ModelCatalog.standard().build("transformer-lm", ModelOptions.DEFAULTS
        .withLayers(1).withDModel(8).withHeads(2).withVocab(11).withSeq(4).withSeed(2));
    TrainStepGraph g = TrainingGraphBuilder.build(lm, TrainOptions.defaults()
        .withLoss(LossKind.LANGUAGE_MODEL).withGradientOutputs(true).withBatchSize(2));
    assertTrue(g.parameters().contains("embed.tokens"), g.parameters().toString());
    Map<String, Ort.Value> batch = new HashMap<>();
    batch.put("input_ids", Ort.Value.ofInts(new long[] {2, 4}, IDS));
    batch.put(g.targetsInput(), Ort.Value.ofInts(new long[] {2, 4}, NEXT));

    Map<String, Ort.Value> forwardFeed = new HashMap<>();
    forwardFeed.put("input_ids", Ort.Value.ofInts(new long[] {2, 4}, IDS));
    for (Onnx.TensorProto t : lm.getGraph().getInitializerList()) {
      forwardFeed.put(t.getName(), Ort.Value.ofFloats(t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray(), StepRunner.decode(t)));
    }
    SplittableRandom r = new SplittableRandom(4);
    try (StepRunner run = new StepRunner(g);
        OrtSession forward = Ort.session(parametersAsInputs(lm))) {
      double[] expected = lossAndCorrect(Ort.run(forward, forwardFeed).get("logits"));
      Map<String, double[]> out = run.evaluate(batch, 0.1, Map.of());
      assertEquals(expected[0], out.get("loss")[0], 1e-5, "loss");
      assertEquals((long) expected[1], (long) out.get("correct")[0], "correct");
      double h = 1e-3;
      for (TrainStepGraph.Carried c : g.carried()) {
        if (c.role() != TrainStepGraph.Role.PARAMETER) {
          continue;
        }
        double[] grad = out.get(g.gradientOutputs().get(c.input()));
        double[] p = forwardFeed.get(c.input()).floats();
        assertTrue(java.util.Arrays.stream(grad).anyMatch(v -> v != 0),
            c.input() + " receives no gradient");
        for (int k = 0; k < 4; k++) {
          int i = r.nextInt(p.length);
          double[] plus = p.clone();
          double[] minus = p.clone();
          plus[i] += h;
          minus[i] -= h;
          Map<String, Ort.Value> feed = new HashMap<>(forwardFeed);
          feed.put(c.input(), Ort.Value.ofFloats(c.elemType(), c.dims(), plus));
          double fp = lossAndCorrect(Ort.run(forward, feed).get("logits"))[0];
          feed.put(c.input(), Ort.Value.ofFloats(c.elemType(), c.dims(), minus));
          double fm = lossAndCorrect(Ort.run(forward, feed).get("logits"))[0];
          double fd = (fp - fm) / (2 * h);
          int at = i;
          assertTrue(Math.abs(fd - grad[i]) <= 2e-4 + 2e-2 * Math.abs(fd), () -> c.input()
              + "[" + at + "]: analytic " + grad[at] + " vs finite difference " + fd);
        }
      }
    }
  }
}
