package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.onnxio.graph.Use;
import dev.zeroinit.onnxio.proto.Onnx.FunctionProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Producers, consumers, outer-scope reads through subgraphs, shadowing, constants and functions. */
class GraphIndexTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final float[] W = {1f, 2f, 3f, 4f};

  @Test
  void producersAndConsumersOfAPlainGraph() {
    ModelBuilder m = new ModelBuilder("plain");
    GraphBuilder g = m.graph();
    String x = g.input("x", FLOAT, 1, 4);
    String w = g.initializer(Tensors.of("w", FLOAT, new long[] {4}, W));
    String a = g.add(x, w);
    String r = g.relu(a);
    String b = g.add(r, w);
    g.output(b);
    GraphIndex index = ModelIndex.of(m.build()).main();

    assertEquals(TensorWalker.MAIN_GRAPH, index.id());
    assertNull(index.parent());
    assertNull(index.owner());
    assertEquals(3, index.nodes().size());
    assertEquals("Add", index.producer(a).opType());
    assertEquals(0, index.producer(a).index());
    assertEquals("Relu", index.producer(r).opType());
    assertNull(index.producer(x), "a graph input has no producer");
    assertNull(index.producer(w), "an initializer has no producer");
    assertEquals(List.of(new Use(index.nodes().get(0), 1), new Use(index.nodes().get(2), 1)),
        index.consumers(w));
    assertEquals(List.of(new Use(index.nodes().get(1), 0)), index.consumers(a));
    assertEquals(List.of(), index.consumers(b), "a graph output read by no node");
    assertEquals(index.consumers(w), index.allUses(w));
    assertTrue(index.isGraphInput(x));
    assertTrue(index.isGraphOutput(b));
    assertTrue(index.definesLocally(w) && index.definesLocally(a) && index.definesLocally(x));
    assertFalse(index.definesLocally("nothing"));
    assertNotNull(index.valueInfo(x));
    assertEquals(TensorSite.initializer(TensorWalker.MAIN_GRAPH, w), index.constant(w).site());
    assertNull(index.constant(x), "a graph input is not a constant");
    assertNull(index.constant(a), "a computed value is not a constant");
    assertNull(index.constant("nothing"));
  }

  @Test
  void subgraphsReadOuterInitializersUnlessTheyShadowThem() {
    // main: x, w, cond; If #1 reads w in both branches (then: directly, else: in a nested If);
    // If #2's then branch defines its own w with a Constant node and reads that one.
    GraphBuilder then1 = new GraphBuilder("then1");
    then1.node("Add", new String[] {"x", "w"}, new String[] {"t1"});
    then1.output("t1", FLOAT, 1, 4);

    GraphBuilder inner = new GraphBuilder("inner");
    inner.node("Mul", new String[] {"x", "w"}, new String[] {"in1"});
    inner.output("in1", FLOAT, 1, 4);
    GraphBuilder else1 = new GraphBuilder("else1");
    else1.node("If", new String[] {"cond"}, new String[] {"e1"},
        Attr.g("then_branch", inner.build()), Attr.g("else_branch", inner.build()));
    else1.output("e1", FLOAT, 1, 4);

    GraphBuilder then2 = new GraphBuilder("then2");
    then2.constant("w", Tensors.of("w_local", FLOAT, new long[] {4}, new float[] {9, 9, 9, 9}));
    then2.node("Sub", new String[] {"x", "w"}, new String[] {"t2"});
    then2.output("t2", FLOAT, 1, 4);
    GraphBuilder else2 = new GraphBuilder("else2");
    else2.node("Identity", new String[] {"x"}, new String[] {"e2"});
    else2.output("e2", FLOAT, 1, 4);

    ModelBuilder m = new ModelBuilder("scopes");
    GraphBuilder g = m.graph();
    g.input("x", FLOAT, 1, 4);
    g.input("cond", TensorProto.DataType.BOOL_VALUE);
    g.initializer(Tensors.of("w", FLOAT, new long[] {4}, W));
    g.node("If", new String[] {"cond"}, new String[] {"y1"},
        Attr.g("then_branch", then1.build()), Attr.g("else_branch", else1.build()));
    g.node("If", new String[] {"cond"}, new String[] {"y2"},
        Attr.g("then_branch", then2.build()), Attr.g("else_branch", else2.build()));
    g.node("Add", new String[] {"y1", "w"}, new String[] {"y"});
    g.output("y", FLOAT, 1, 4);
    ModelIndex model = ModelIndex.of(m.build());
    GraphIndex main = model.main();

    assertEquals(4, main.subgraphs().size(), "two branches of each If");
    GraphIndex t1 = byId(model, "graph/If.then_branch");
    GraphIndex e1 = byId(model, "graph/If.else_branch");
    GraphIndex t2 = byId(model, "graph/If_1.then_branch");
    GraphIndex e2 = byId(model, "graph/If_1.else_branch");
    assertEquals(List.of(t1, e1, t2, e2), main.subgraphs());
    GraphIndex innerThen = byId(model, "graph/If.else_branch/If.then_branch");
    assertEquals(List.of(innerThen, byId(model, "graph/If.else_branch/If.else_branch")),
        e1.subgraphs());
    assertSame(main, t1.parent());
    assertSame(e1, innerThen.parent());
    assertEquals("If", t1.owner().opType());
    assertEquals(0, t1.owner().index());
    assertEquals(7, model.allGraphs().size(), "main, four branches, two nested branches");

    // every reading of the outer w: the main Add, then1's Add, both nested Muls; not then2's Sub
    List<Use> uses = main.allUses("w");
    assertEquals(List.of("graph/Add#1", "graph/If.then_branch/Add#1",
        "graph/If.else_branch/If.then_branch/Mul#1", "graph/If.else_branch/If.else_branch/Mul#1"),
        describe(uses));
    assertEquals(1, main.consumers("w").size(), "consumers() alone stays within the graph");
    assertTrue(uses.stream().noneMatch(u -> u.node().graph() == t2), "then2 shadows w");
    assertEquals(5, main.allUses("x").size(), "then1 Add, two nested Muls, then2 Sub, else2 Identity");
    assertEquals(List.of(), e2.allUses("w"));

    // from inside a subgraph, w resolves to the outer initializer...
    for (GraphIndex reader : List.of(t1, e1, innerThen)) {
      GraphIndex.ConstantRef c = reader.constant("w");
      assertNotNull(c, reader.id());
      assertSame(main, c.graph(), reader.id());
      assertEquals(TensorSite.initializer(TensorWalker.MAIN_GRAPH, "w"), c.site(), reader.id());
      assertSame(main, reader.scopeOf("w"));
      assertFalse(reader.definesLocally("w"));
    }
    // ...except where the subgraph defines its own: the Constant node of then2
    assertTrue(t2.definesLocally("w"));
    assertSame(t2, t2.scopeOf("w"));
    GraphIndex.ConstantRef local = t2.constant("w");
    assertSame(t2, local.graph());
    assertEquals(TensorSite.Kind.CONSTANT_VALUE, local.site().kind());
    assertEquals(t2.id(), local.site().graphId());
    assertEquals("w", local.valueName());
    assertEquals("w_local", local.tensor().getName());
    assertEquals(List.of("Sub"), t2.allUses("w").stream().map(u -> u.node().opType())
        .collect(Collectors.toList()));
    // outer values that are not constants resolve to their scope but give no constant
    assertSame(main, t1.scopeOf("x"));
    assertNull(t1.constant("x"));
    assertNull(t1.scopeOf("t2"), "a sibling branch's values are not in scope");
  }

  @Test
  void constantNodesResolveThroughConstant() {
    ModelBuilder m = new ModelBuilder("constants");
    GraphBuilder g = m.graph();
    String x = g.input("x", FLOAT, 1, 4);
    String k = g.constant("k", Tensors.of("", FLOAT, new long[] {4}, W));
    g.node("Mul", new String[] {x, k}, new String[] {"y"});
    g.node("Constant", new String[0], new String[] {"s"}, Attr.f("value_float", 2f));
    g.output("y", FLOAT, 1, 4);
    GraphIndex main = ModelIndex.of(m.build()).main();

    GraphIndex.ConstantRef c = main.constant(k);
    assertNotNull(c);
    assertSame(main, c.graph());
    assertEquals(TensorSite.constant(TensorWalker.MAIN_GRAPH, 0, "k"), c.site());
    assertEquals(4, c.tensor().getDims(0));
    assertEquals("Constant", main.producer(k).opType());
    assertEquals(List.of(new Use(main.nodes().get(1), 1)), main.consumers(k));
    assertNull(main.constant("s"), "only the tensor-valued 'value' attribute is a constant tensor");

    // the site the index gives is the one TensorWalker visits
    List<TensorSite> sites = new java.util.ArrayList<>();
    try {
      TensorWalker.visit(m.build(), (site, t) -> sites.add(site));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertTrue(sites.contains(c.site()), sites.toString());
  }

  @Test
  void modelLocalFunctionsAreIndexed() {
    ModelBuilder m = new ModelBuilder("with-function");
    GraphBuilder g = m.graph();
    g.input("x", FLOAT, 1, 4);
    g.node("ScaledRelu", new String[] {"x"}, new String[] {"y"});
    g.output("y", FLOAT, 1, 4);
    ModelProto base = m.build();
    NodeProto call = base.getGraph().getNode(0).toBuilder().setDomain("custom.fn").build();
    FunctionProto fn = FunctionProto.newBuilder()
        .setName("ScaledRelu")
        .setDomain("custom.fn")
        .addInput("X")
        .addOutput("Y")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .addNode(NodeProto.newBuilder().setOpType("Constant").addOutput("scale")
            .addAttribute(Attr.t("value", Tensors.of("", FLOAT, new long[0], new float[] {0.5f}))))
        .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("X").addOutput("r"))
        .addNode(NodeProto.newBuilder().setOpType("Mul").addInput("r").addInput("scale").addOutput("Y"))
        .build();
    GraphProto graph = base.getGraph().toBuilder().setNode(0, call).build();
    ModelProto model = base.toBuilder().setGraph(graph).addFunctions(fn)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("custom.fn").setVersion(1))
        .build();
    ModelIndex index = ModelIndex.of(model);

    assertEquals(1, index.functions().size());
    GraphIndex body = index.functions().get(0);
    assertEquals("function:custom.fn:ScaledRelu", body.id());
    assertEquals(TensorWalker.functionId(fn), body.id());
    assertNull(body.parent());
    assertEquals(3, body.nodes().size());
    assertTrue(body.isGraphInput("X"));
    assertTrue(body.isGraphOutput("Y"));
    assertEquals("Relu", body.producer("r").opType());
    assertEquals(List.of(new Use(body.nodes().get(2), 0)), body.consumers("r"));
    assertEquals(List.of(new Use(body.nodes().get(1), 0)), body.consumers("X"));
    GraphIndex.ConstantRef scale = body.constant("scale");
    assertNotNull(scale);
    assertEquals(TensorSite.constant(body.id(), 0, "scale"), scale.site());
    assertNull(index.main().producer("r"), "function values do not leak into the main graph");
    assertEquals(List.of(index.main(), body), index.allGraphs());
  }

  private static GraphIndex byId(ModelIndex model, String id) {
    return model.allGraphs().stream().filter(g -> g.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no graph " + id + " in " + model.allGraphs().stream()
            .map(GraphIndex::id).collect(Collectors.toList())));
  }

  /** Each use as GRAPH_ID/OP#SLOT. */
  private static List<String> describe(List<Use> uses) {
    return uses.stream().map(u -> u.node().graph().id() + "/" + u.node().opType() + "#" + u.slot())
        .collect(Collectors.toList());
  }
}
