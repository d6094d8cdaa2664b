package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.FunctionProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs that are not graphs, and tensors that contradict their own declaration, are refused by the
 * reader ({@link GraphChecks}, {@link TensorChecks}) with one line naming the node or tensor and the
 * value; the well-formed variants next to each are accepted.
 */
class GraphChecksTest {
  @TempDir Path dir;

  /** x [1,4] -> Gemm(W [4,4], B [4]) -> h -> Relu -> y. */
  static ModelProto base() {
    ModelBuilder m = new ModelBuilder("g");
    var g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 4);
    String h = g.gemm(x, 4, true);
    g.output(g.relu(h));
    return m.build();
  }

  /** The base model's output value. */
  static final String Y = base().getGraph().getOutput(0).getName();

  static ModelProto editGraph(ModelProto m, UnaryOperator<GraphProto.Builder> edit) {
    return m.toBuilder().setGraph(edit.apply(m.getGraph().toBuilder())).build();
  }

  static NodeProto node(String op, String name, String[] inputs, String... outputs) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name);
    for (String i : inputs) {
      b.addInput(i);
    }
    for (String o : outputs) {
      b.addOutput(o);
    }
    return b.build();
  }

  private String refusal(ModelProto model, String... fragments) throws Exception {
    Path file = Files.write(dir.resolve("m.onnx"), model.toByteArray());
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> OnnxModel.read(file).close());
    assertEquals(file, e.file(), "names the file");
    assertFalse(e.oneLine().contains("\n"), e.oneLine());
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' should mention " + f);
    }
    return e.getMessage();
  }

  private void accepted(ModelProto model) throws Exception {
    Path file = Files.write(dir.resolve("ok.onnx"), model.toByteArray());
    OnnxModel.read(file).close();
  }

  @Test
  void theBaseModelAndAnUnsortedButAcyclicGraphAreAccepted() throws Exception {
    ModelProto m = base();
    accepted(m);
    accepted(editGraph(m, g -> {
      NodeProto first = g.getNode(0);
      g.removeNode(0);
      return g.addNode(first); // Relu before the Gemm that feeds it
    }));
  }

  @Test
  void aNodeReadingAValueNothingDefinesIsRefused() throws Exception {
    ModelProto m = editGraph(base(), g -> g.setNode(1, g.getNode(1).toBuilder().setInput(0, "ghost")));
    refusal(m, "Relu", "'ghost'", "no node, graph input or initializer");
  }

  @Test
  void aGraphOutputNothingProducesIsRefused() throws Exception {
    ModelProto m = editGraph(base(), g -> g.addOutput(ValueInfoProto.newBuilder().setName("nowhere")));
    refusal(m, "graph output 'nowhere'");
  }

  @Test
  void cyclesAreRefusedNamingTheNodes() throws Exception {
    ModelProto twoCycle = editGraph(base(), g -> g
        .addNode(node("Add", "a", new String[] {Y, "q"}, "p"))
        .addNode(node("Relu", "b", new String[] {"p"}, "q")));
    refusal(twoCycle, "cycle", "Add 'a'", "Relu 'b'");
    ModelProto selfLoop = editGraph(base(), g -> g.addNode(node("Add", "self", new String[] {Y, "s"}, "s")));
    refusal(selfLoop, "cycle", "Add 'self' -> Add 'self'");
  }

  @Test
  void twoNodesProducingOneValueAreRefused() throws Exception {
    ModelProto m = editGraph(base(), g -> g.addNode(node("Identity", "twin", new String[] {"x"}, Y)));
    refusal(m, "'" + Y + "'", "defined twice", "Identity 'twin'");
  }

  @Test
  void aNodeOutputRedefiningAnInitializerOrInputIsRefused() throws Exception {
    String w = base().getGraph().getInitializer(0).getName();
    refusal(editGraph(base(), g -> g.addNode(node("Identity", "shadow", new String[] {"x"}, w))),
        "'" + w + "'", "defined twice", "initializer");
    refusal(editGraph(base(), g -> g.addNode(node("Identity", "over", new String[] {Y}, "x"))),
        "'x'", "defined twice", "graph input");
  }

  @Test
  void duplicateInitializerNamesAreRefused() throws Exception {
    ModelProto m = editGraph(base(), g -> g.addInitializer(g.getInitializer(0)));
    refusal(m, "initializer '" + base().getGraph().getInitializer(0).getName() + "'", "twice");
  }

  @Test
  void initializersListedAsInputsAreAccepted() throws Exception {
    // IR < 4 style: every initializer is also a graph input
    accepted(editGraph(base(), g -> {
      for (TensorProto t : g.getInitializerList()) {
        g.addInput(ValueInfoProto.newBuilder().setName(t.getName()));
      }
      return g;
    }));
  }

  @Test
  void subgraphsMayReadOuterValuesButNotUndefinedOnes() throws Exception {
    GraphProto good = GraphProto.newBuilder().setName("then")
        .addNode(node("Identity", "inner", new String[] {Y}, "t"))
        .addOutput(ValueInfoProto.newBuilder().setName("t")).build();
    GraphProto bad = good.toBuilder().setNode(0, good.getNode(0).toBuilder().setInput(0, "ghost")).build();
    TensorProto cond = TensorProto.newBuilder().setName("c").setDataType(TensorProto.DataType.BOOL_VALUE)
        .addInt32Data(1).build();
    UnaryOperator<GraphProto> withIf = branch -> editGraph(base(), g -> g.addInitializer(cond)
        .addNode(NodeProto.newBuilder().setOpType("If").setName("if").addInput("c").addOutput("z")
            .addAttribute(AttributeProto.newBuilder().setName("then_branch")
                .setType(AttributeProto.AttributeType.GRAPH).setG(branch))
            .addAttribute(AttributeProto.newBuilder().setName("else_branch")
                .setType(AttributeProto.AttributeType.GRAPH).setG(branch)))).getGraph();
    accepted(base().toBuilder().setGraph(withIf.apply(good)).build());
    refusal(base().toBuilder().setGraph(withIf.apply(bad)).build(), "then_branch", "'ghost'");
    // a cycle through a subgraph: the If reads 'y2', which a node computes from the If's output
    GraphProto loopy = good.toBuilder().setNode(0, good.getNode(0).toBuilder().setInput(0, "y2")).build();
    ModelProto cyclic = base().toBuilder().setGraph(withIf.apply(loopy).toBuilder()
        .addNode(node("Relu", "after", new String[] {"z"}, "y2"))).build();
    refusal(cyclic, "cycle", "If 'if'", "Relu 'after'");
  }

  @Test
  void functionBodiesAreChecked() throws Exception {
    FunctionProto f = FunctionProto.newBuilder().setName("F").setDomain("local").addInput("a")
        .addOutput("b").addNode(node("Relu", "r", new String[] {"nope"}, "b")).build();
    refusal(base().toBuilder().addFunctions(f).build(), "function:local:F", "'nope'");
    accepted(base().toBuilder().addFunctions(f.toBuilder()
        .setNode(0, f.getNode(0).toBuilder().setInput(0, "a"))).build());
  }

  @Test
  void aStringTensorWhereAWeightIsExpectedIsRefused() throws Exception {
    TensorProto w = base().getGraph().getInitializer(0);
    TensorProto.Builder text = TensorProto.newBuilder().setName(w.getName())
        .setDataType(TensorProto.DataType.STRING_VALUE).addAllDims(w.getDimsList());
    for (int i = 0; i < 16; i++) {
      text.addStringData(com.google.protobuf.ByteString.copyFromUtf8("w" + i));
    }
    TensorProto t = text.build();
    refusal(editGraph(base(), g -> g.setInitializer(0, t)), "Gemm", "STRING", "'" + w.getName() + "'");
  }

  // ---- tensors against their own declaration (TensorChecks)

  private static ModelProto withWeight(UnaryOperator<TensorProto.Builder> edit) {
    return editGraph(base(), g -> g.setInitializer(0, edit.apply(g.getInitializer(0).toBuilder())));
  }

  @Test
  void rawDataOfTheWrongLengthIsRefused() throws Exception {
    refusal(withWeight(t -> t.setRawData(t.getRawData().substring(0, 60))), "raw_data has 60 bytes", "need 64");
    refusal(withWeight(t -> t.setRawData(t.getRawData().concat(t.getRawData()))), "raw_data has 128 bytes");
  }

  @Test
  void typedFieldsOfTheWrongCountAreRefused() throws Exception {
    refusal(withWeight(t -> t.clearRawData().addFloatData(1f)), "float_data has 1 values", "need 16");
    refusal(withWeight(t -> t.clearRawData()), "float_data has 0 values");
    TensorProto shape = Tensors.int64("s", new long[] {2}, 1, 2).toBuilder().clearRawData().clearInt64Data()
        .addInt64Data(1).build();
    refusal(editGraph(base(), g -> g.addInitializer(shape)), "'s'", "int64_data has 1 values", "need 2");
  }

  @Test
  void negativeAndOverflowingDimsAreRefused() throws Exception {
    refusal(withWeight(t -> t.setDims(0, -4)), "negative dimension -4");
    refusal(withWeight(t -> t.clearDims().addDims(1L << 40).addDims(1L << 40)), "more than " + Long.MAX_VALUE);
  }

  @Test
  void unknownDataTypesAreRefused() throws Exception {
    refusal(withWeight(t -> t.setDataType(99)), "unknown tensor data type 99");
    refusal(withWeight(t -> t.setDataType(0)), "data type is not set");
  }

  @Test
  void rawDataOnAStringTensorIsRefused() throws Exception {
    TensorProto s = TensorProto.newBuilder().setName("names").setDataType(TensorProto.DataType.STRING_VALUE)
        .addDims(1).setRawData(com.google.protobuf.ByteString.copyFromUtf8("abc")).build();
    refusal(editGraph(base(), g -> g.addInitializer(s)), "STRING", "raw_data");
  }
}
