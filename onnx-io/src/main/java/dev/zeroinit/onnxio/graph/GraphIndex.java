package dev.zeroinit.onnxio.graph;

import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who produces and who reads every value of one graph (or function body), its initializers and
 * Constant nodes, and the subgraphs held in node attributes ({@code If}, {@code Loop}, {@code Scan}),
 * each indexed with this graph as its outer scope. Names resolve as ONNX scopes them: the graph's own
 * definitions first, then the enclosing graphs'.
 */
public final class GraphIndex {
  private final String id;
  private final GraphIndex parent;
  private final NodeRef owner;
  private final List<NodeRef> nodes = new ArrayList<>();
  private final Map<String, NodeRef> producers = new HashMap<>();
  private final Map<String, List<Use>> consumers = new HashMap<>();
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Set<String> inputs = new HashSet<>();
  private final Set<String> outputs = new HashSet<>();
  private final Map<String, ValueInfoProto> valueInfo = new HashMap<>();
  private final List<GraphIndex> subgraphs = new ArrayList<>();
  /** Names this graph (or its subgraphs) reads but does not define: outer-scope references. */
  private final Set<String> outerReads = new HashSet<>();

  private GraphIndex(String id, GraphIndex parent, NodeRef owner) {
    this.id = id;
    this.parent = parent;
    this.owner = owner;
  }

  /** Indexes a graph and, recursively, its subgraphs. */
  public static GraphIndex of(GraphProto graph, String id) {
    return of(graph, id, null, null);
  }

  static GraphIndex of(GraphProto graph, String id, GraphIndex parent, NodeRef owner) {
    GraphIndex g = new GraphIndex(id, parent, owner);
    for (TensorProto t : graph.getInitializerList()) {
      g.initializers.put(t.getName(), t);
    }
    for (ValueInfoProto v : graph.getInputList()) {
      g.inputs.add(v.getName());
      g.valueInfo.putIfAbsent(v.getName(), v);
    }
    for (ValueInfoProto v : graph.getOutputList()) {
      g.outputs.add(v.getName());
      g.valueInfo.putIfAbsent(v.getName(), v);
    }
    for (ValueInfoProto v : graph.getValueInfoList()) {
      g.valueInfo.putIfAbsent(v.getName(), v);
    }
    g.addNodes(graph.getNodeList());
    g.collectOuterReads();
    return g;
  }

  /** Indexes the nodes of a function body; its formal inputs are the body's inputs. */
  public static GraphIndex ofFunction(List<NodeProto> body, List<String> formalInputs,
      List<String> formalOutputs, String id) {
    GraphIndex g = new GraphIndex(id, null, null);
    g.inputs.addAll(formalInputs);
    g.outputs.addAll(formalOutputs);
    g.addNodes(body);
    g.collectOuterReads();
    return g;
  }

  private void addNodes(List<NodeProto> list) {
    for (int i = 0; i < list.size(); i++) {
      NodeRef ref = new NodeRef(this, i, list.get(i));
      nodes.add(ref);
      NodeProto n = ref.node();
      for (String out : n.getOutputList()) {
        if (!out.isEmpty()) {
          producers.putIfAbsent(out, ref);
        }
      }
      for (int s = 0; s < n.getInputCount(); s++) {
        String in = n.getInput(s);
        if (!in.isEmpty()) {
          consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(new Use(ref, s));
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          subgraphs.add(of(a.getG(), TensorWalker.subgraphId(id, i, n, a.getName(), -1), this, ref));
        }
        for (int k = 0; k < a.getGraphsCount(); k++) {
          subgraphs.add(of(a.getGraphs(k), TensorWalker.subgraphId(id, i, n, a.getName(), k), this, ref));
        }
      }
    }
  }

  private void collectOuterReads() {
    for (String name : consumers.keySet()) {
      if (!definesLocally(name)) {
        outerReads.add(name);
      }
    }
    for (GraphIndex sub : subgraphs) {
      for (String name : sub.outerReads) {
        if (!definesLocally(name)) {
          outerReads.add(name);
        }
      }
    }
  }

  /** True when {@code name} is an initializer, input or node output of this graph itself. */
  public boolean definesLocally(String name) {
    return initializers.containsKey(name) || inputs.contains(name) || producers.containsKey(name);
  }

  public String id() {
    return id;
  }

  public GraphIndex parent() {
    return parent;
  }

  /** The node holding this subgraph; null for a top-level graph or function. */
  public NodeRef owner() {
    return owner;
  }

  public List<NodeRef> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  public List<GraphIndex> subgraphs() {
    return Collections.unmodifiableList(subgraphs);
  }

  public Map<String, TensorProto> initializers() {
    return Collections.unmodifiableMap(initializers);
  }

  public boolean isGraphInput(String name) {
    return inputs.contains(name);
  }

  public boolean isGraphOutput(String name) {
    return outputs.contains(name);
  }

  /** Declared type and shape of a value of this graph, or null. */
  public ValueInfoProto valueInfo(String name) {
    return valueInfo.get(name);
  }

  /** The node producing {@code name} in this graph, or null. */
  public NodeRef producer(String name) {
    return producers.get(name);
  }

  /** The nodes of this graph reading {@code name} (not counting subgraphs). */
  public List<Use> consumers(String name) {
    return consumers.getOrDefault(name, List.of());
  }

  /**
   * Every reading of {@code name} as defined in this graph: its own consumers plus those in
   * subgraphs that do not shadow the name.
   */
  public List<Use> allUses(String name) {
    List<Use> uses = new ArrayList<>(consumers(name));
    for (GraphIndex sub : subgraphs) {
      if (!sub.definesLocally(name) && sub.outerReads.contains(name)) {
        uses.addAll(sub.allUses(name));
      }
    }
    return uses;
  }

  /** The graph (this or an enclosing one) whose definition {@code name} resolves to here, or null. */
  public GraphIndex scopeOf(String name) {
    for (GraphIndex g = this; g != null; g = g.parent) {
      if (g.definesLocally(name)) {
        return g;
      }
    }
    return null;
  }

  /**
   * The constant tensor that {@code name} is, seen from this graph: an initializer (that a graph
   * input of the same name does not override, IR 4+ semantics aside: initializers listed as inputs
   * still count as constants, as exporters use them) or the value of a Constant node; null otherwise.
   */
  public ConstantRef constant(String name) {
    GraphIndex g = scopeOf(name);
    if (g == null) {
      return null;
    }
    TensorProto init = g.initializers.get(name);
    if (init != null) {
      return new ConstantRef(TensorSite.initializer(g.id, name), init, g);
    }
    NodeRef p = g.producers.get(name);
    if (p != null && p.isOnnxOp("Constant")) {
      for (AttributeProto a : p.node().getAttributeList()) {
        if (a.getName().equals("value") && a.hasT()) {
          return new ConstantRef(TensorSite.constant(g.id, p.index(), p.node().getOutput(0)), a.getT(), g);
        }
      }
    }
    return null;
  }

  /** A constant tensor and where it is defined. */
  public record ConstantRef(TensorSite site, TensorProto tensor, GraphIndex graph) {
    /** The value name the constant goes by in its graph. */
    public String valueName() {
      return site.name();
    }
  }
}
