package dev.zeroinit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The reference architectures of issue #5: the CIFAR ResNet-18/34, ResNet-50 and the Transformer
 * LM. Parameter counts follow PyTorch's {@code sum(p.numel() for p in model.parameters())}:
 * conv/linear weights and biases and BatchNormalization's scale and bias count, BN's running mean
 * and variance (buffers) do not ({@link Models#trainableParameterCount}). Full-size models are only
 * built (for the counts); the ONNX Runtime runs use small widths, except the Transformer LM, which
 * is small at its defaults (ResNet-50 at full size runs once, in {@link ModelCatalogTest}).
 */
class ReferenceModelsTest {
  private final ModelCatalog catalog = ModelCatalog.standard();
  /** Small widths and inputs for the tests that only need the plumbing. */
  private static final ModelOptions SMALL = ModelOptions.DEFAULTS.withWidthMultiplier(0.125);

  @Test
  void parameterCountsMatchThePublishedFigures() {
    long start = System.nanoTime();
    Onnx.ModelProto r18 = catalog.build("resnet18", ModelOptions.DEFAULTS);
    long r18Ms = (System.nanoTime() - start) / 1_000_000;
    long p18 = Models.trainableParameterCount(r18);
    System.out.printf("resnet18 (CIFAR, 10 classes): %,d trainable parameters, built in %d ms%n",
        p18, r18Ms);
    assertEquals(11_173_962, p18);
    // 1 stem + 8 blocks x 2 + 3 downsampling shortcuts; BN after each; no max-pool.
    assertEquals(20, Models.count(r18, "Conv"));
    assertEquals(20, Models.count(r18, "BatchNormalization"));
    assertEquals(8, Models.count(r18, "Add"));
    assertEquals(0, Models.count(r18, "MaxPool"));
    assertEquals(List.of(-1L, 3L, 32L, 32L), inputDims(r18));
    // Running statistics are 2 more values per BN channel: 2 x (64 + 4x64 + 4x128 + 4x256 + 4x512
    // + 128 + 256 + 512).
    assertEquals(p18 + 2 * 4800, Models.parameterCount(r18));

    Onnx.ModelProto r34 = catalog.build("resnet34", ModelOptions.DEFAULTS);
    long p34 = Models.trainableParameterCount(r34);
    System.out.printf("resnet34 (CIFAR, 10 classes): %,d trainable parameters%n", p34);
    assertEquals(21_282_122, p34);
    assertEquals(36, Models.count(r34, "Conv"));
    assertEquals(16, Models.count(r34, "Add"));
    r34 = null;

    Onnx.ModelProto r50 =
        catalog.build("resnet50", ModelOptions.DEFAULTS.withFoldBatchNorm(false));
    long p50 = Models.trainableParameterCount(r50);
    System.out.printf("resnet50 (ImageNet, BN unfolded): %,d trainable parameters%n", p50);
    assertEquals(25_557_032, p50);
    assertEquals(53, Models.count(r50, "BatchNormalization"));
    assertEquals(1, Models.count(r50, "MaxPool"));
  }

  @Test
  void everyCatalogModelLoadsAndRunsOnOnnxRuntime() throws Exception {
    for (ModelCatalog.Entry e : catalog.entries()) {
      long start = System.nanoTime();
      if (e.name().equals("transformer-lm")) {
        Onnx.ModelProto lm = catalog.build(e.name(), ModelOptions.DEFAULTS);
        Models.runLm(lm, tokens(2, 64, 1000, 1), 2, 64, 1000);
      } else if (e.name().equals("mlp")) {
        Onnx.ModelProto mlp = catalog.build(e.name(), SMALL.withHidden(64));
        long[] shape = {2, 784};
        Models.runOnce(mlp, Models.input(1, shape), shape, 2, 10);
      } else {
        int size = e.name().equals("resnet50") ? 64 : 32;
        Onnx.ModelProto cnn = catalog.build(e.name(), SMALL.withImageSize(size));
        long[] shape = {2, 3, size, size};
        int classes = e.name().equals("resnet50") ? 1000 : 10;
        Models.runOnce(cnn, Models.input(1, shape), shape, 2, classes);
      }
      System.out.printf("%s: built and ran in %d ms%n", e.name(),
          (System.nanoTime() - start) / 1_000_000);
    }
  }

  @Test
  void cifarResNetBlocksAreReluOfAddOfBranchAndSkip() {
    for (String name : List.of("resnet18", "resnet34")) {
      Onnx.ModelProto model = catalog.build(name, SMALL);
      Map<String, Onnx.NodeProto> producer = producers(model);
      Map<String, List<Onnx.NodeProto>> consumers = consumers(model);
      int downsampling = 0;
      for (Onnx.NodeProto add : nodes(model, "Add")) {
        // branch: Conv - BN - Relu - Conv - BN, into input 0
        Onnx.NodeProto bn2 = producer.get(add.getInput(0));
        Onnx.NodeProto conv2 = producer.get(bn2.getInput(0));
        Onnx.NodeProto relu = producer.get(conv2.getInput(0));
        Onnx.NodeProto bn1 = producer.get(relu.getInput(0));
        Onnx.NodeProto conv1 = producer.get(bn1.getInput(0));
        assertEquals(List.of("BatchNormalization", "Conv", "Relu", "BatchNormalization", "Conv"),
            List.of(bn2.getOpType(), conv2.getOpType(), relu.getOpType(), bn1.getOpType(),
                conv1.getOpType()), add.getName());
        // skip: the block's input itself, or a 1x1 stride-2 Conv + BN of it
        String blockInput = conv1.getInput(0);
        String skip = add.getInput(1);
        if (!skip.equals(blockInput)) {
          Onnx.NodeProto sbn = producer.get(skip);
          Onnx.NodeProto sconv = producer.get(sbn.getInput(0));
          assertEquals("BatchNormalization", sbn.getOpType());
          assertEquals("Conv", sconv.getOpType());
          assertEquals(blockInput, sconv.getInput(0));
          assertEquals(List.of(1L, 1L), ints(sconv, "kernel_shape"));
          assertEquals(List.of(2L, 2L), ints(sconv, "strides"));
          assertEquals(List.of(2L, 2L), ints(conv1, "strides"));
          downsampling++;
        } else {
          assertEquals(List.of(1L, 1L), ints(conv1, "strides"));
        }
        List<Onnx.NodeProto> after = consumers.get(add.getOutput(0));
        assertEquals(1, after.size());
        assertEquals("Relu", after.get(0).getOpType());
      }
      assertEquals(3, downsampling, name);
    }
  }

  @Test
  void noBatchNormGivesConvsBiases() throws Exception {
    for (String name : List.of("resnet18", "resnet34", "resnet50", "sample-resnet")) {
      Onnx.ModelProto model = catalog.build(name, SMALL.withBatchNorm(false));
      assertEquals(0, Models.count(model, "BatchNormalization"), name);
      List<Onnx.NodeProto> convs = nodes(model, "Conv");
      assertFalse(convs.isEmpty());
      assertTrue(convs.stream().allMatch(n -> n.getInputCount() == 3), name);
    }
    // The count without BN: each conv has a bias of its out channels instead of BN's scale + bias.
    long withBn = Models.trainableParameterCount(catalog.build("resnet18", SMALL));
    long without = Models.trainableParameterCount(
        catalog.build("resnet18", SMALL.withBatchNorm(false)));
    assertEquals(withBn - 4800 / 8, without);
  }

  @Test
  void fashionMnistInputs() throws Exception {
    for (String name : List.of("resnet18", "resnet34")) {
      Onnx.ModelProto model =
          catalog.build(name, SMALL.withInChannels(1).withImageSize(28).withClasses(10));
      assertEquals(List.of(-1L, 1L, 28L, 28L), inputDims(model), name);
      long[] shape = {3, 1, 28, 28};
      Models.runOnce(model, Models.input(5, shape), shape, 3, 10);
    }
    Onnx.ModelProto seven = catalog.build("resnet18", SMALL.withClasses(7).withInChannels(1)
        .withImageSize(28).withBatchNorm(false));
    long[] shape = {1, 1, 28, 28};
    Models.runOnce(seven, Models.input(6, shape), shape, 1, 7);
  }

  @Test
  void widthMultiplierScalesChannels() {
    Onnx.ModelProto half = catalog.build("resnet18", ModelOptions.DEFAULTS.withWidthMultiplier(0.5));
    Onnx.TensorProto stem = initializer(half, "stem.conv.weight");
    assertEquals(List.of(32L, 3L, 3L, 3L), stem.getDimsList());
    Onnx.TensorProto fc = initializer(half, "head.gemm.weight");
    assertEquals(List.of(10L, 256L), fc.getDimsList());
  }

  @Test
  void transformerLmIsCausal() throws Exception {
    ModelOptions o = ModelOptions.DEFAULTS.withSeed(3);
    Onnx.ModelProto lm = catalog.build("transformer-lm", o);
    int batch = 2;
    int seq = 64;
    int vocab = 1000;
    long[] ids = tokens(batch, seq, vocab, 7);
    float[] before = Models.runLm(lm, ids, batch, seq, vocab);
    for (int t : new int[] {0, 17, seq - 1}) {
      long[] changed = ids.clone();
      changed[t] = (ids[t] + 1) % vocab; // batch row 0 only
      float[] after = Models.runLm(lm, changed, batch, seq, vocab);
      for (int b = 0; b < batch; b++) {
        for (int p = 0; p < seq; p++) {
          float[] x = Arrays.copyOfRange(before, (b * seq + p) * vocab, (b * seq + p + 1) * vocab);
          float[] y = Arrays.copyOfRange(after, (b * seq + p) * vocab, (b * seq + p + 1) * vocab);
          if (b == 0 && p >= t) {
            assertFalse(Arrays.equals(x, y), "token " + t + " must reach position " + p);
          } else {
            assertArrayEquals(x, y, "token " + t + " reached row " + b + " position " + p);
          }
        }
      }
    }
  }

  @Test
  void transformerLmStructure() {
    Onnx.ModelProto lm = catalog.build("transformer-lm", ModelOptions.DEFAULTS);
    Onnx.GraphProto g = lm.getGraph();
    assertEquals(17, lm.getOpsetImport(0).getVersion());
    assertEquals("input_ids", g.getInput(0).getName());
    assertEquals(DataType.INT64_VALUE, g.getInput(0).getType().getTensorType().getElemType());
    assertEquals(List.of(-1L, 64L), inputDims(lm));
    assertEquals("batch", g.getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals("logits", g.getOutput(0).getName());
    assertEquals(List.of(0L, 64L, 1000L), g.getOutput(0).getType().getTensorType().getShape()
        .getDimList().stream().map(Onnx.TensorShapeProto.Dimension::getDimValue).toList());

    int layers = 2;
    assertEquals(2 * layers + 1, Models.count(lm, "LayerNormalization"));
    assertEquals(layers, Models.count(lm, "Softmax"));
    assertEquals(layers, Models.count(lm, "Erf"), "GELU written out for opset 17");
    assertEquals(0, Models.count(lm, "Gelu"));
    assertEquals(1, Models.count(lm, "Gather"));
    // per layer: q, k, v, proj, fc, fc2 with a constant weight + QK^T and PV; plus the head
    assertEquals(8 * layers + 1, Models.count(lm, "MatMul"));

    // Every initializer is a parameter: embeddings, and per layer 2 LNs, 4 attention and 2 MLP
    // linears with biases; the final LN; the tied head adds nothing.
    long d = 128;
    long vocab = 1000;
    long seq = 64;
    long perLayer = 2 * 2 * d + 4 * (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
    long expected = vocab * d + seq * d + layers * perLayer + 2 * d;
    long tied = Models.parameterCount(lm);
    System.out.printf("transformer-lm (defaults, tied): %,d parameters%n", tied);
    assertEquals(expected, tied);
    assertEquals(tied, Models.trainableParameterCount(lm));

    // The tied head reads the token embedding through a Transpose.
    Map<String, Onnx.NodeProto> producer = producers(lm);
    Onnx.NodeProto head = producer.get("logits");
    assertEquals("MatMul", head.getOpType());
    Onnx.NodeProto transpose = producer.get(head.getInput(1));
    assertEquals("Transpose", transpose.getOpType());
    assertEquals("embed.tokens", transpose.getInput(0));
    Onnx.NodeProto gather = nodes(lm, "Gather").get(0);
    assertEquals(List.of("embed.tokens", "input_ids"), gather.getInputList());

    // Untied: one more [d, vocab] matrix, no Transpose of the embedding.
    Onnx.ModelProto untied =
        catalog.build("transformer-lm", ModelOptions.DEFAULTS.withTiedEmbeddings(false));
    assertEquals(vocab * d, Models.parameterCount(untied) - tied);
    assertEquals(List.of(d, vocab), initializer(untied, "head.weight").getDimsList());
    assertEquals("head.weight", producers(untied).get("logits").getInput(1));

    // Each residual Add joins a branch ending in a bias Add after a MatMul with the block input.
    for (Onnx.NodeProto add : nodes(lm, "Add")) {
      if (add.getName().matches("blocks\\.\\d+\\.add(_1)?")) {
        Onnx.NodeProto bias = producer.get(add.getInput(0));
        assertEquals("Add", bias.getOpType());
        assertEquals("MatMul", producer.get(bias.getInput(0)).getOpType());
        assertTrue(bias.getInput(1).endsWith(".proj.bias"), bias.getInput(1));
      }
    }
    assertEquals(2 * layers,
        nodes(lm, "Add").stream().filter(n -> n.getName().matches("blocks\\.\\d+\\.add(_1)?"))
            .count());

    // The causal mask: 0 on and below the diagonal, -1e9 above.
    Onnx.TensorProto mask = constant(lm, "attn.causal_mask");
    assertEquals(List.of(seq, seq), mask.getDimsList());
    FloatBuffer m = mask.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer();
    for (int i = 0; i < seq; i++) {
      for (int j = 0; j < seq; j++) {
        assertEquals(j > i ? -1e9f : 0f, m.get(i * (int) seq + j));
      }
    }
  }

  @Test
  void transformerLmOptions() throws Exception {
    ModelOptions o = ModelOptions.DEFAULTS.withLayers(3).withDModel(48).withHeads(6)
        .withVocab(50).withSeq(10).withTiedEmbeddings(false).withSeed(9);
    Onnx.ModelProto lm = catalog.build("transformer-lm", o);
    assertEquals(7, Models.count(lm, "LayerNormalization"));
    assertEquals(List.of(-1L, 10L, 6L, 8L),
        longs(constant(lm, "attn.split_heads_shape")));
    Models.runLm(lm, tokens(3, 10, 50, 2), 3, 10, 50);

    // Opset 20 uses the Gelu op.
    Onnx.ModelProto op20 = catalog.build("transformer-lm", o.withOpset(20));
    assertEquals(3, Models.count(op20, "Gelu"));
    assertEquals(0, Models.count(op20, "Erf"));
    float[] a = Models.runLm(lm, tokens(1, 10, 50, 4), 1, 10, 50);
    float[] b = Models.runLm(op20, tokens(1, 10, 50, 4), 1, 10, 50);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i], b[i], 1e-4 * (1 + Math.abs(a[i])), "logit " + i);
    }

    // FLOAT16: the mask uses the lowest finite half (-65504), not -1e9 (which would be -inf).
    Onnx.ModelProto half =
        catalog.build("transformer-lm", ModelOptions.DEFAULTS.withDataType(DataType.FLOAT16));
    Onnx.TensorProto mask = constant(half, "attn.causal_mask");
    assertEquals(DataType.FLOAT16_VALUE, mask.getDataType());
    short above = mask.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
        .asShortBuffer().get(1);
    assertEquals((short) 0xfbff, above);
    for (Onnx.TensorProto t : half.getGraph().getInitializerList()) {
      assertEquals(DataType.FLOAT16_VALUE, t.getDataType(), t.getName());
    }

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> catalog.build("transformer-lm", ModelOptions.DEFAULTS.withHeads(3)));
    assertTrue(e.getMessage().contains("divide"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> catalog.build("transformer-lm", ModelOptions.DEFAULTS.withOpset(16)));
    assertThrows(IllegalArgumentException.class,
        () -> catalog.build("transformer-lm", ModelOptions.DEFAULTS.withSeq(50_000)));
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withSeq(0));
    assertThrows(IllegalArgumentException.class, () -> ModelOptions.DEFAULTS.withImageSize(-1));
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() {
    Map<String, ModelOptions> small = Map.of(
        "resnet18", SMALL, "resnet34", SMALL,
        "transformer-lm", ModelOptions.DEFAULTS.withSeq(16).withVocab(100));
    for (var e : small.entrySet()) {
      byte[] a = catalog.build(e.getKey(), e.getValue().withSeed(11)).toByteArray();
      byte[] b = catalog.build(e.getKey(), e.getValue().withSeed(11)).toByteArray();
      byte[] c = catalog.build(e.getKey(), e.getValue().withSeed(12)).toByteArray();
      assertArrayEquals(a, b, e.getKey());
      assertFalse(Arrays.equals(a, c), e.getKey());
      assertEquals(a.length, c.length, e.getKey());
    }
  }

  @Test
  void sampleResNetIsTheCommittedSample() throws Exception {
    Path committed = Path.of("..", "samples", "sample_resnet.onnx");
    assertTrue(Files.isRegularFile(committed), committed.toAbsolutePath().toString());
    assertArrayEquals(Files.readAllBytes(committed),
        catalog.build("sample-resnet", ModelOptions.DEFAULTS).toByteArray(),
        "sample-resnet no longer builds samples/sample_resnet.onnx");
    // The image-size default of sample-resnet is its fixed 32.
    assertArrayEquals(catalog.build("sample-resnet", ModelOptions.DEFAULTS).toByteArray(),
        catalog.build("sample-resnet", ModelOptions.DEFAULTS.withImageSize(32)).toByteArray());
    assertEquals(32, ModelOptions.DEFAULTS.imageSizeOr(32));
    assertEquals(28, ModelOptions.DEFAULTS.withImageSize(28).imageSizeOr(32));
  }

  // ---- helpers ----

  private static long[] tokens(int batch, int seq, int vocab, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    long[] ids = new long[batch * seq];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(vocab);
    }
    return ids;
  }

  private static List<Long> inputDims(Onnx.ModelProto model) {
    return model.getGraph().getInput(0).getType().getTensorType().getShape().getDimList().stream()
        .map(dim -> dim.hasDimValue() ? dim.getDimValue() : -1L).toList();
  }

  private static List<Onnx.NodeProto> nodes(Onnx.ModelProto model, String opType) {
    return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType))
        .toList();
  }

  private static Map<String, Onnx.NodeProto> producers(Onnx.ModelProto model) {
    Map<String, Onnx.NodeProto> m = new HashMap<>();
    for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
      for (String o : n.getOutputList()) {
        m.put(o, n);
      }
    }
    return m;
  }

  private static Map<String, List<Onnx.NodeProto>> consumers(Onnx.ModelProto model) {
    return model.getGraph().getNodeList().stream()
        .flatMap(n -> n.getInputList().stream().map(i -> Map.entry(i, n)))
        .collect(Collectors.groupingBy(Map.Entry::getKey,
            Collectors.mapping(Map.Entry::getValue, Collectors.toList())));
  }

  private static List<Long> ints(Onnx.NodeProto n, String attribute) {
    return n.getAttributeList().stream().filter(a -> a.getName().equals(attribute)).findFirst()
        .orElseThrow().getIntsList();
  }

  private static Onnx.TensorProto initializer(Onnx.ModelProto model, String name) {
    return model.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no initializer " + name));
  }

  private static Onnx.TensorProto constant(Onnx.ModelProto model, String output) {
    return model.getGraph().getNodeList().stream()
        .filter(n -> n.getOpType().equals("Constant") && n.getOutput(0).equals(output))
        .findFirst().orElseThrow(() -> new AssertionError("no Constant " + output))
        .getAttribute(0).getT();
  }

  private static List<Long> longs(Onnx.TensorProto t) {
    java.nio.LongBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
        .asLongBuffer();
    Long[] v = new Long[b.remaining()];
    for (int i = 0; i < v.length; i++) {
      v[i] = b.get(i);
    }
    return List.of(v);
  }
}
