package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.ResidualBlock;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import org.junit.jupiter.api.Test;

/**
 * The residual-block analysis on the project's own reference architectures (He et al. 2016 layouts
 * and a pre-norm Transformer): every block is found, with the right branch and skip, from the graph
 * alone.
 */
class ReferenceModelsPlanTest {

  private static Plan plan(String name, ModelOptions o) throws Exception {
    ModelProto m = ModelCatalog.standard().build(name, o);
    return Planner.plan(m, PlanOptions.defaults());
  }

  @Test
  void cifarResNet18HasEightBasicBlocksThreeWithProjectionShortcuts() throws Exception {
    Plan p = plan("resnet18", ModelOptions.DEFAULTS.withWidthMultiplier(0.125));
    assertEquals(8, p.blocks().size());
    assertEquals(3, p.blocks().stream().filter(b -> !b.skip().equals("identity")).count());
    for (ResidualBlock b : p.blocks()) {
      assertEquals(2, b.branchLayers().size(), b.toString());
      assertTrue(b.zeroed());
    }
  }

  @Test
  void resNet50HasSixteenBottlenecksFourWithProjectionShortcuts() throws Exception {
    Plan p = plan("resnet50", ModelOptions.DEFAULTS.withWidthMultiplier(0.125).withBatchNorm(true)
        .withFoldBatchNorm(false));
    assertEquals(16, p.blocks().size());
    assertEquals(4, p.blocks().stream().filter(b -> !b.skip().equals("identity")).count());
    p.blocks().forEach(b -> assertEquals(3, b.branchLayers().size(), b.toString()));
  }

  @Test
  void transformerLmHasAnAttentionAndAnMlpBlockPerLayer() throws Exception {
    Plan p = plan("transformer-lm", ModelOptions.DEFAULTS.withLayers(3).withDModel(32).withHeads(2)
        .withVocab(50).withSeq(8));
    assertEquals(6, p.blocks().size());
    for (int i = 0; i < 6; i++) {
      String end = p.blocks().get(i).branchEnd();
      assertTrue(end.startsWith("MatMul"), end);
      assertTrue(end.contains(i % 2 == 0 ? "attn" : "mlp"), end);
    }
  }
}
