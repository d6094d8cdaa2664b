package dev.zeroinit.onnxio;

import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.FunctionProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.SparseTensorProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.TrainingInfoProto;
import java.util.List;

/**
 * Visits every dense tensor of a model, in a fixed order (graph initializers, then node attributes in
 * node order, recursing into subgraphs where they sit; then training-info graphs; then functions), and
 * rebuilds only the parts whose tensors the visitor replaced. Untouched parts keep their instances, so a
 * pass that changes nothing returns the very same model.
 */
public final class TensorWalker {

  /** Receives each tensor with its site; returns it unchanged or a replacement. */
  @FunctionalInterface
  public interface TensorTransform {
    TensorProto apply(TensorSite site, TensorProto tensor) throws Exception;
  }

  /** Read-only visit. */
  @FunctionalInterface
  public interface TensorVisitor {
    void visit(TensorSite site, TensorProto tensor) throws Exception;
  }

  /** The id of the main graph. */
  public static final String MAIN_GRAPH = "graph";

  private final TensorTransform transform;

  private TensorWalker(TensorTransform transform) {
    this.transform = transform;
  }

  /** Applies {@code transform} to every tensor and returns the rebuilt model. */
  public static ModelProto transform(ModelProto model, TensorTransform transform) throws Exception {
    return new TensorWalker(transform).model(model);
  }

  /** Calls {@code visitor} on every tensor. */
  public static void visit(ModelProto model, TensorVisitor visitor) throws Exception {
    transform(model, (site, t) -> {
      visitor.visit(site, t);
      return t;
    });
  }

  /** The graph id of a subgraph held by attribute {@code attr} (index {@code i} for GRAPHS) of a node. */
  public static String subgraphId(String parentId, int nodeIndex, NodeProto node, String attr, int i) {
    String nodeName = node.getName().isEmpty() ? "#" + nodeIndex : node.getName();
    return parentId + "/" + nodeName + "." + attr + (i < 0 ? "" : "[" + i + "]");
  }

  /** The graph id of a model-local function's body. */
  public static String functionId(FunctionProto f) {
    return "function:" + f.getDomain() + ":" + f.getName()
        + (f.getOverload().isEmpty() ? "" : ":" + f.getOverload());
  }

  private ModelProto model(ModelProto model) throws Exception {
    ModelProto.Builder b = null;
    if (model.hasGraph()) {
      GraphProto g = graph(model.getGraph(), MAIN_GRAPH);
      if (g != model.getGraph()) {
        b = model.toBuilder().setGraph(g);
      }
    }
    for (int i = 0; i < model.getTrainingInfoCount(); i++) {
      TrainingInfoProto ti = model.getTrainingInfo(i);
      TrainingInfoProto.Builder tb = null;
      if (ti.hasInitialization()) {
        GraphProto g = graph(ti.getInitialization(), "training[" + i + "].initialization");
        if (g != ti.getInitialization()) {
          tb = ti.toBuilder().setInitialization(g);
        }
      }
      if (ti.hasAlgorithm()) {
        GraphProto g = graph(ti.getAlgorithm(), "training[" + i + "].algorithm");
        if (g != ti.getAlgorithm()) {
          tb = (tb == null ? ti.toBuilder() : tb).setAlgorithm(g);
        }
      }
      if (tb != null) {
        b = (b == null ? model.toBuilder() : b).setTrainingInfo(i, tb);
      }
    }
    for (int i = 0; i < model.getFunctionsCount(); i++) {
      FunctionProto f = model.getFunctions(i);
      String id = functionId(f);
      FunctionProto.Builder fb = null;
      for (int n = 0; n < f.getNodeCount(); n++) {
        NodeProto node = f.getNode(n);
        NodeProto nn = node(node, n, id);
        if (nn != node) {
          fb = (fb == null ? f.toBuilder() : fb).setNode(n, nn);
        }
      }
      if (fb != null) {
        b = (b == null ? model.toBuilder() : b).setFunctions(i, fb);
      }
    }
    return b == null ? model : b.build();
  }

  private GraphProto graph(GraphProto g, String id) throws Exception {
    GraphProto.Builder b = null;
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      TensorProto nt = transform.apply(TensorSite.initializer(id, t.getName()), t);
      if (nt != t) {
        b = (b == null ? g.toBuilder() : b).setInitializer(i, nt);
      }
    }
    for (int i = 0; i < g.getSparseInitializerCount(); i++) {
      SparseTensorProto s = g.getSparseInitializer(i);
      SparseTensorProto ns = sparse(s, id, -1, s.getValues().getName());
      if (ns != s) {
        b = (b == null ? g.toBuilder() : b).setSparseInitializer(i, ns);
      }
    }
    for (int n = 0; n < g.getNodeCount(); n++) {
      NodeProto node = g.getNode(n);
      NodeProto nn = node(node, n, id);
      if (nn != node) {
        b = (b == null ? g.toBuilder() : b).setNode(n, nn);
      }
    }
    return b == null ? g : b.build();
  }

  private NodeProto node(NodeProto node, int index, String graphId) throws Exception {
    NodeProto.Builder b = null;
    String label = node.getOutputCount() > 0 ? node.getOutput(0) : node.getName();
    boolean isConstant = node.getOpType().equals("Constant") && node.getDomain().isEmpty()
        || node.getOpType().equals("Constant") && node.getDomain().equals("ai.onnx");
    List<AttributeProto> attrs = node.getAttributeList();
    for (int a = 0; a < attrs.size(); a++) {
      AttributeProto attr = attrs.get(a);
      AttributeProto.Builder ab = null;
      String attrLabel = label + "." + attr.getName();
      if (attr.hasT()) {
        TensorSite site = isConstant && attr.getName().equals("value")
            ? TensorSite.constant(graphId, index, label)
            : new TensorSite(graphId, TensorSite.Kind.NODE_ATTRIBUTE, index, attrLabel);
        TensorProto nt = transform.apply(site, attr.getT());
        if (nt != attr.getT()) {
          ab = attr.toBuilder().setT(nt);
        }
      }
      for (int i = 0; i < attr.getTensorsCount(); i++) {
        TensorProto t = attr.getTensors(i);
        TensorProto nt = transform.apply(
            new TensorSite(graphId, TensorSite.Kind.NODE_ATTRIBUTE, index, attrLabel + "[" + i + "]"), t);
        if (nt != t) {
          ab = (ab == null ? attr.toBuilder() : ab).setTensors(i, nt);
        }
      }
      if (attr.hasSparseTensor()) {
        SparseTensorProto ns = sparse(attr.getSparseTensor(), graphId, index, attrLabel);
        if (ns != attr.getSparseTensor()) {
          ab = (ab == null ? attr.toBuilder() : ab).setSparseTensor(ns);
        }
      }
      for (int i = 0; i < attr.getSparseTensorsCount(); i++) {
        SparseTensorProto s = attr.getSparseTensors(i);
        SparseTensorProto ns = sparse(s, graphId, index, attrLabel + "[" + i + "]");
        if (ns != s) {
          ab = (ab == null ? attr.toBuilder() : ab).setSparseTensors(i, ns);
        }
      }
      if (attr.hasG()) {
        GraphProto g = graph(attr.getG(), subgraphId(graphId, index, node, attr.getName(), -1));
        if (g != attr.getG()) {
          ab = (ab == null ? attr.toBuilder() : ab).setG(g);
        }
      }
      for (int i = 0; i < attr.getGraphsCount(); i++) {
        GraphProto g0 = attr.getGraphs(i);
        GraphProto g = graph(g0, subgraphId(graphId, index, node, attr.getName(), i));
        if (g != g0) {
          ab = (ab == null ? attr.toBuilder() : ab).setGraphs(i, g);
        }
      }
      if (ab != null) {
        b = (b == null ? node.toBuilder() : b).setAttribute(a, ab);
      }
    }
    return b == null ? node : b.build();
  }

  private SparseTensorProto sparse(SparseTensorProto s, String graphId, int nodeIndex, String name)
      throws Exception {
    SparseTensorProto.Builder b = null;
    if (s.hasValues()) {
      TensorSite site = new TensorSite(graphId, TensorSite.Kind.SPARSE_PART, nodeIndex, name + "#values");
      TensorProto nt = transform.apply(site, s.getValues());
      if (nt != s.getValues()) {
        b = s.toBuilder().setValues(nt);
      }
    }
    if (s.hasIndices()) {
      TensorSite site = new TensorSite(graphId, TensorSite.Kind.SPARSE_PART, nodeIndex, name + "#indices");
      TensorProto nt = transform.apply(site, s.getIndices());
      if (nt != s.getIndices()) {
        b = (b == null ? s.toBuilder() : b).setIndices(nt);
      }
    }
    return b == null ? s : b.build();
  }
}
