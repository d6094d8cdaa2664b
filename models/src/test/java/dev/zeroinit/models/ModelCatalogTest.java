package dev.zeroinit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelCatalogTest {
  private final ModelCatalog catalog = ModelCatalog.standard();

  @Test
  void listsItsModelsAndRefusesUnknownNames() {
    assertEquals(List.of("sample-resnet", "resnet50", "mlp", "resnet18", "resnet34", "transformer-lm"),
        catalog.names());
    for (ModelCatalog.Entry e : catalog.entries()) {
      assertFalse(e.description().isBlank());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> catalog.build("resnet51", ModelOptions.DEFAULTS));
    assertTrue(e.getMessage().contains("resnet51"));
    assertTrue(e.getMessage().contains("sample-resnet, resnet50, mlp, resnet18"), e.getMessage());
  }

  @Test
  void sampleResNetIsSmallRunsAndIsReproducible() throws Exception {
    Onnx.ModelProto model = catalog.build("sample-resnet", ModelOptions.DEFAULTS);
    byte[] bytes = model.toByteArray();
    long params = Models.parameterCount(model);
    System.out.printf("sample-resnet: %,d parameters, %,d bytes%n", params, bytes.length);
    assertTrue(bytes.length < 2_000_000, "sample-resnet is " + bytes.length + " bytes");
    assertTrue(bytes.length > 300_000, "sample-resnet is " + bytes.length + " bytes");
    // conv weights 173,488 + BN 4 x 560 channels + classifier 650
    assertEquals(173_488 + 4 * 560 + 650, params);
    assertEquals(15, Models.count(model, "Conv"));
    assertEquals(15, Models.count(model, "BatchNormalization"));
    assertEquals(6, Models.count(model, "Add"));
    assertEquals(8, model.getIrVersion());
    assertEquals(17, model.getOpsetImport(0).getVersion());

    Onnx.GraphProto g = model.getGraph();
    assertEquals("input", g.getInput(0).getName());
    assertEquals("batch", g.getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals("logits", g.getOutput(0).getName());

    long[] shape = {2, 3, 32, 32};
    float[] x = Models.input(1, shape);
    float[] y = Models.runOnce(model, x, shape, 2, 10);

    assertArrayEquals(bytes, catalog.build("sample-resnet", ModelOptions.DEFAULTS).toByteArray());
    assertFalse(Arrays.equals(bytes,
        catalog.build("sample-resnet", ModelOptions.DEFAULTS.withSeed(1)).toByteArray()));

    // Folding BN into the convs keeps the function (same seed, same drawn values).
    Onnx.ModelProto folded =
        catalog.build("sample-resnet", ModelOptions.DEFAULTS.withFoldBatchNorm(true));
    assertEquals(0, Models.count(folded, "BatchNormalization"));
    assertEquals(173_488 + 560 + 650, Models.parameterCount(folded));
    float[] yFolded = Models.runOnce(folded, x, shape, 2, 10);
    for (int i = 0; i < y.length; i++) {
      assertEquals(y[i], yFolded[i], 1e-4 * (1 + Math.abs(y[i])), "logit " + i);
    }
  }

  @Test
  void sampleResNetOptions() throws Exception {
    ModelOptions o = ModelOptions.DEFAULTS.withClasses(7).withInChannels(1)
        .withWidthMultiplier(0.5).withBatchNorm(false);
    Onnx.ModelProto model = catalog.build("sample-resnet", o);
    assertEquals(0, Models.count(model, "BatchNormalization"));
    assertTrue(model.getGraph().getInitializerList().stream()
        .anyMatch(t -> t.getName().equals("stem.conv.weight") && t.getDims(0) == 8
            && t.getDims(1) == 1));
    long[] shape = {2, 1, 32, 32};
    Models.runOnce(model, Models.input(2, shape), shape, 2, 7);

    Onnx.ModelProto half = catalog.build("sample-resnet",
        ModelOptions.DEFAULTS.withDataType(DataType.FLOAT16));
    for (Onnx.TensorProto t : half.getGraph().getInitializerList()) {
      assertEquals(DataType.FLOAT16_VALUE, t.getDataType(), t.getName());
    }
    assertEquals(DataType.FLOAT16_VALUE,
        half.getGraph().getOutput(0).getType().getTensorType().getElemType());
  }

  @Test
  void resNet50IsTorchvisionSizedAndRuns() throws Exception {
    long start = System.nanoTime();
    Onnx.ModelProto model = catalog.build("resnet50", ModelOptions.DEFAULTS);
    long buildMs = (System.nanoTime() - start) / 1_000_000;
    long params = Models.parameterCount(model);
    long size = model.getSerializedSize();
    System.out.printf("resnet50: %,d parameters, %,d bytes, built in %d ms%n", params, size,
        buildMs);
    // torchvision counts 25,557,032 with BN scale and bias; folded, each BN channel keeps one bias.
    assertEquals(25_557_032 - 26_560, params);
    assertTrue(Math.abs(params - 25_557_032) < 0.01 * 25_557_032);
    assertTrue(size > 100_000_000 && size < 104_000_000, "size " + size);
    assertEquals(53, Models.count(model, "Conv"));
    assertEquals(0, Models.count(model, "BatchNormalization"));
    assertEquals(16, Models.count(model, "Add"));
    assertTrue(model.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("Conv")).allMatch(n -> n.getInputCount() == 3));

    long[] shape = {2, 3, 224, 224};
    Models.runOnce(model, Models.input(3, shape), shape, 2, 1000);
  }

  @Test
  void resNet50WithBatchNormNodes() {
    Onnx.ModelProto model =
        catalog.build("resnet50", ModelOptions.DEFAULTS.withFoldBatchNorm(false).withSeed(5));
    assertEquals(53, Models.count(model, "BatchNormalization"));
    // BN keeps scale, bias, mean and var: 2 more per channel than torchvision's trainable count.
    assertEquals(25_557_032 + 2 * 26_560, Models.parameterCount(model));
  }

  @Test
  void mlpIsThePapersMlp() throws Exception {
    Onnx.ModelProto model = catalog.build("mlp", ModelOptions.DEFAULTS);
    assertEquals(784L * 784 + 784L * 1024 + 1024L * 1024 + 1024L * 10,
        Models.parameterCount(model));
    assertEquals(4, Models.count(model, "Gemm"));
    assertEquals(3, Models.count(model, "Relu"));
    for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
      if (n.getOpType().equals("Gemm")) {
        assertEquals(2, n.getInputCount(), "no bias");
        Onnx.AttributeProto transB = n.getAttributeList().stream()
            .filter(a -> a.getName().equals("transB")).findFirst().orElseThrow();
        assertEquals(1, transB.getI());
      }
    }
    List<Onnx.TensorProto> w = model.getGraph().getInitializerList();
    assertEquals(List.of(1024L, 784L), w.get(1).getDimsList());
    long[] shape = {2, 784};
    Models.runOnce(model, Models.input(4, shape), shape, 2, 10);

    Onnx.ModelProto narrow = catalog.build("mlp", ModelOptions.DEFAULTS.withHidden(256));
    assertEquals(784L * 784 + 784L * 256 + 256L * 256 + 256L * 10, Models.parameterCount(narrow));
    assertArrayEquals(narrow.toByteArray(),
        catalog.build("mlp", ModelOptions.DEFAULTS.withHidden(256)).toByteArray());
  }

  @Test
  void optionsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withClasses(-1));
    assertThrows(IllegalArgumentException.class,
        () -> ModelOptions.DEFAULTS.withWidthMultiplier(0));
    assertThrows(IllegalArgumentException.class,
        () -> ModelOptions.DEFAULTS.withDataType(DataType.INT8));
    assertEquals(10, ModelOptions.DEFAULTS.classesOr(10));
    assertEquals(3, ModelOptions.DEFAULTS.withClasses(3).classesOr(10));
    assertTrue(ModelOptions.DEFAULTS.foldBatchNormOr(true));
    assertNotNull(ModelOptions.DEFAULTS.toString());
  }
}
