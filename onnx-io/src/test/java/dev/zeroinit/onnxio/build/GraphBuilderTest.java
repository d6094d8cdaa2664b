package dev.zeroinit.onnxio.build;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class GraphBuilderTest {

  private static Onnx.GraphProto smallCnn(long seed, boolean fold) {
    GraphBuilder g = new GraphBuilder("cnn", seed);
    String x = g.input("input", DataType.FLOAT, -1, 3, 8, 8);
    String y = g.relu(g.convBn(x, 4, 3, 2, 1, 1, fold));
    y = g.flatten(g.globalAveragePool(y));
    g.output(g.rename(g.gemm(y, 5, true), "logits"));
    return g.build();
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() {
    assertArrayEquals(smallCnn(3, false).toByteArray(), smallCnn(3, false).toByteArray());
    assertFalse(java.util.Arrays.equals(
        smallCnn(3, false).toByteArray(), smallCnn(4, false).toByteArray()));
  }

  @Test
  void tracksShapesAndWritesSymbolicDims() {
    GraphBuilder g = new GraphBuilder("g").dimParams("N");
    String x = g.input("x", DataType.FLOAT, -1, 3, 32, 32);
    String c = g.conv(x, 16, 3, 2, 1, 1, true);
    assertArrayEquals(new long[] {-1, 16, 16, 16}, g.shapeOf(c));
    String p = g.maxPool(c, 3, 2, 1);
    assertArrayEquals(new long[] {-1, 16, 8, 8}, g.shapeOf(p));
    String d = g.conv(p, 16, 3, 1, 1, 16, false); // depthwise
    assertArrayEquals(new long[] {-1, 16, 8, 8}, g.shapeOf(d));
    String f = g.flatten(g.globalAveragePool(g.add(d, p)));
    assertArrayEquals(new long[] {-1, 16}, g.shapeOf(f));
    String m = g.matMul(f, 7);
    assertArrayEquals(new long[] {-1, 7}, g.shapeOf(m));
    g.output(m);

    Onnx.GraphProto graph = g.build();
    Onnx.TensorShapeProto in = graph.getInput(0).getType().getTensorType().getShape();
    assertEquals("N", in.getDim(0).getDimParam());
    assertEquals(32, in.getDim(3).getDimValue());
    Onnx.TensorShapeProto out = graph.getOutput(0).getType().getTensorType().getShape();
    assertEquals("N", out.getDim(0).getDimParam());
    assertEquals(7, out.getDim(1).getDimValue());

    Map<String, Onnx.TensorProto> inits = inits(graph);
    assertEquals(List.of(16L, 3L, 3L, 3L), inits.get("conv.weight").getDimsList());
    assertEquals(List.of(16L), inits.get("conv.bias").getDimsList());
    assertEquals(List.of(16L, 1L, 3L, 3L), inits.get("conv_1.weight").getDimsList());
    assertFalse(inits.containsKey("conv_1.bias"));
    assertEquals(List.of(16L, 7L), inits.get("matmul.weight").getDimsList());
    Onnx.NodeProto dw = graph.getNodeList().stream()
        .filter(n -> n.getName().equals("conv_1")).findFirst().orElseThrow();
    assertEquals(16, attr(dw, "group").getI());
    assertEquals(List.of(1L, 1L, 1L, 1L), attr(dw, "pads").getIntsList());
  }

  @Test
  void weightsFollowPytorchDefaultBound() {
    GraphBuilder g = new GraphBuilder("g", 1);
    String x = g.input("x", DataType.FLOAT, 1, 8, 4, 4);
    g.conv(x, 8, 3, 1, 1, 1, false);
    float[] w = floats(inits(g.build()).get("conv.weight"));
    double bound = 1 / Math.sqrt(8 * 9);
    double max = 0;
    for (float v : w) {
      assertTrue(Math.abs(v) <= bound);
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max > 0.9 * bound);
  }

  @Test
  void foldedConvBnIsTheBatchNormAppliedToTheConv() {
    Map<String, Onnx.TensorProto> plain = inits(smallCnn(9, false));
    Map<String, Onnx.TensorProto> folded = inits(smallCnn(9, true));
    assertFalse(folded.keySet().stream().anyMatch(k -> k.startsWith("bn")));
    assertFalse(smallCnn(9, true).getNodeList().stream()
        .anyMatch(n -> n.getOpType().equals("BatchNormalization")));
    float[] w = floats(plain.get("conv.weight"));
    float[] gamma = floats(plain.get("bn.weight"));
    float[] beta = floats(plain.get("bn.bias"));
    float[] mean = floats(plain.get("bn.running_mean"));
    float[] var = floats(plain.get("bn.running_var"));
    float[] fw = floats(folded.get("conv.weight"));
    float[] fb = floats(folded.get("conv.bias"));
    int per = w.length / 4;
    for (int c = 0; c < 4; c++) {
      double k = gamma[c] / Math.sqrt(var[c] + GraphBuilder.BN_EPSILON);
      assertEquals(beta[c] - mean[c] * k, fb[c], 1e-6);
      for (int j = 0; j < per; j++) {
        assertEquals(w[c * per + j] * k, fw[c * per + j], 1e-6);
      }
    }
    // The classifier does not depend on the folding.
    assertEquals(plain.get("gemm.weight"), folded.get("gemm.weight"));
  }

  @Test
  void sixteenBitModelsGetSixteenBitWeights() {
    GraphBuilder g = new GraphBuilder("g");
    String x = g.input("x", DataType.FLOAT16, -1, 2, 4, 4);
    String y = g.convBn(x, 2, 1, 1, 0, 1, false);
    assertEquals(DataType.FLOAT16_VALUE, g.elemTypeOf(y));
    for (Onnx.TensorProto t : g.build().getInitializerList()) {
      assertEquals(DataType.FLOAT16_VALUE, t.getDataType());
      assertEquals(2 * Tensors.elementCount(
          t.getDimsList().stream().mapToLong(Long::longValue).toArray()), t.getRawData().size());
    }
  }

  @Test
  void freshNamesAreUniqueUnderScopes() {
    GraphBuilder g = new GraphBuilder("g");
    assertEquals("conv", g.fresh("conv"));
    assertEquals("conv_1", g.fresh("conv"));
    g.scope("layer1.0");
    assertEquals("layer1.0.conv", g.fresh("conv"));
    assertEquals("layer1.0.conv_1", g.fresh("conv"));
    g.scope("");
    assertEquals("conv_2", g.fresh("conv"));
    g.input("relu", DataType.FLOAT, 1);
    assertEquals("relu_1", g.fresh("relu"));
  }

  @Test
  void rawNodesConstantsAttributesAndRename() {
    GraphBuilder g = new GraphBuilder("g");
    g.input("x", DataType.FLOAT, -1, 6);
    g.constant("shape", Tensors.int64Vector(null, 2, 3));
    g.node("Reshape", new String[] {"x", "shape"}, new String[] {"r"});
    g.declare("r", DataType.FLOAT_VALUE, -1, 2, 3);
    String t = g.op("Transpose", new String[] {"r"}, Attr.ints("perm", 0, 2, 1));
    assertEquals("transpose", t);
    g.node("Identity", new String[] {t}, new String[] {"y"});
    g.output("y", DataType.FLOAT, -1, 3, 2);
    g.rename("r", "reshaped");
    Onnx.GraphProto graph = g.build();
    assertEquals(List.of("Constant", "Reshape", "Transpose", "Identity"),
        graph.getNodeList().stream().map(Onnx.NodeProto::getOpType).toList());
    assertEquals("reshaped", graph.getNode(1).getOutput(0));
    assertEquals("reshaped", graph.getNode(2).getInput(0));
    assertEquals(Onnx.AttributeProto.AttributeType.TENSOR, graph.getNode(0).getAttribute(0).getType());
    assertEquals(List.of(0L, 2L, 1L), graph.getNode(2).getAttribute(0).getIntsList());
    assertArrayEquals(new long[] {-1, 2, 3}, g.shapeOf("reshaped"));
    assertEquals(graph.getNode(0).getName(), "shape");
    assertNotEquals(graph.getNode(1).getName(), graph.getNode(3).getName());
  }

  @Test
  void attributeHelpersSetTheirType() {
    assertEquals(2, Attr.i("group", 2).getI());
    assertEquals(Onnx.AttributeProto.AttributeType.FLOAT, Attr.f("alpha", 0.5f).getType());
    assertEquals("NOTSET", Attr.s("auto_pad", "NOTSET").getS().toStringUtf8());
    assertEquals(List.of(0.5f, 1f), Attr.floats("scales", 0.5f, 1f).getFloatsList());
    assertEquals(2, Attr.strings("names", "a", "b").getStringsCount());
    Onnx.GraphProto body = new GraphBuilder("body").build();
    assertEquals(Onnx.AttributeProto.AttributeType.GRAPH, Attr.g("then_branch", body).getType());
    assertThrows(IllegalArgumentException.class, () -> Attr.i("", 1));
  }

  @Test
  void refusesDuplicatesAndUnknownShapes() {
    GraphBuilder g = new GraphBuilder("g");
    g.input("x", DataType.FLOAT, 1, 4);
    assertThrows(IllegalArgumentException.class, () -> g.input("x", DataType.FLOAT, 1));
    assertThrows(IllegalArgumentException.class,
        () -> g.initializer("x", DataType.FLOAT_VALUE, new long[] {1}, new float[] {0}));
    assertThrows(IllegalArgumentException.class,
        () -> g.node("Relu", new String[] {"x"}, new String[] {"x"}));
    g.node("Relu", new String[] {"x"}, new String[] {"y"});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.relu("y"));
    assertTrue(e.getMessage().contains("'y'"));
    assertThrows(IllegalArgumentException.class, () -> g.conv("x", 4, 3, 1, 1, 1, false));
    assertThrows(IllegalArgumentException.class, () -> g.rename("x", "y"));
  }

  private static Onnx.AttributeProto attr(Onnx.NodeProto n, String name) {
    return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .orElseThrow();
  }

  private static Map<String, Onnx.TensorProto> inits(Onnx.GraphProto g) {
    return g.getInitializerList().stream()
        .collect(Collectors.toMap(Onnx.TensorProto::getName, Function.identity()));
  }

  private static float[] floats(Onnx.TensorProto t) {
    float[] v = new float[t.getRawData().size() / 4];
    t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
