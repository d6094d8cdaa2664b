package dev.zeroinit.onnxio;

import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.FunctionProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.SparseTensorProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that the graphs of a model are graphs: every value a node reads is defined (a graph input,
 * an initializer, a node output of this graph or, in a subgraph, of an enclosing one), no value is
 * defined twice in one graph (two nodes producing one output, an output that is also an input or
 * initializer, two initializers of one name), the nodes form no cycle, and the ops whose weights the
 * tool rewrites do not read a STRING constant. The reader runs it on every model, so the planner,
 * the residual-block analysis and the writer only ever see well-formed graphs; every finding is an
 * {@link InvalidModelException} naming the graph, the node and the value.
 *
 * <p>What it does not require: topological order of the node list (ONNX asks for it, but runtimes sort
 * acyclic graphs themselves), and the absence of shadowing between a subgraph and its enclosing graph.
 * Training-info graphs are not checked (the tool never reads them).
 */
public final class GraphChecks {
  /** Ops whose inputs are numeric tensors the tool reads as weights, biases or norm parameters. */
  private static final Set<String> NUMERIC_WEIGHT_OPS = Set.of("Gemm", "MatMul", "Conv", "ConvTranspose",
      "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization");

  private GraphChecks() { }

  /** Throws the first problem found, or returns when the model's graphs are well-formed. */
  public static void check(ModelProto model) throws InvalidModelException {
    if (model.hasGraph()) {
      new Scope(null).graph(model.getGraph(), TensorWalker.MAIN_GRAPH);
    }
    for (FunctionProto f : model.getFunctionsList()) {
      Scope s = new Scope(null);
      String id = TensorWalker.functionId(f);
      for (String in : f.getInputList()) {
        s.define(in, id, "function input");
      }
      s.nodes(f.getNodeList(), id);
      for (String out : f.getOutputList()) {
        if (!out.isEmpty() && !s.resolves(out)) {
          throw new InvalidModelException(where(id) + "output '" + out
              + "' is not produced by any node of the function body");
        }
      }
    }
  }

  private static String where(String graphId) {
    return graphId.equals(TensorWalker.MAIN_GRAPH) ? "" : "in " + graphId + ": ";
  }

  private static String label(NodeProto n, int index) {
    return n.getOpType() + " '" + (n.getName().isEmpty() ? "#" + index : n.getName()) + "'";
  }

  /** The names one graph defines, with a link to the enclosing graph's. */
  private static final class Scope {
    private final Scope parent;
    /** Name -> what defines it, for messages. */
    private final Map<String, String> defined = new HashMap<>();
    /** Constants of this graph (initializers, Constant outputs), for the type check. */
    private final Map<String, TensorProto> constants = new HashMap<>();

    Scope(Scope parent) {
      this.parent = parent;
    }

    boolean resolves(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        if (s.defined.containsKey(name)) {
          return true;
        }
      }
      return false;
    }

    TensorProto constant(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        if (s.defined.containsKey(name)) {
          return s.constants.get(name);
        }
      }
      return null;
    }

    void define(String name, String graphId, String what) throws InvalidModelException {
      String before = defined.putIfAbsent(name, what);
      if (before != null) {
        throw new InvalidModelException(where(graphId) + "value '" + name + "' is defined twice: as "
            + before + " and as " + what + " (a graph must define every value once)");
      }
    }

    void graph(GraphProto g, String id) throws InvalidModelException {
      Set<String> initializers = new HashSet<>();
      for (TensorProto t : g.getInitializerList()) {
        if (!initializers.add(t.getName())) {
          throw new InvalidModelException(where(id) + "initializer '" + t.getName()
              + "' is defined twice");
        }
        defined.put(t.getName(), "initializer");
        constants.put(t.getName(), t);
      }
      for (SparseTensorProto s : g.getSparseInitializerList()) {
        String name = s.getValues().getName();
        if (!initializers.add(name)) {
          throw new InvalidModelException(where(id) + "initializer '" + name
              + "' is defined twice (a sparse initializer has the name of another initializer)");
        }
        defined.put(name, "initializer");
      }
      Set<String> inputs = new HashSet<>();
      for (ValueInfoProto v : g.getInputList()) {
        if (!inputs.add(v.getName())) {
          throw new InvalidModelException(where(id) + "graph input '" + v.getName() + "' is listed twice");
        }
        // an input may repeat an initializer's name (IR < 4 lists every initializer as an input)
        defined.putIfAbsent(v.getName(), "graph input");
      }
      nodes(g.getNodeList(), id);
      for (ValueInfoProto v : g.getOutputList()) {
        if (!v.getName().isEmpty() && !resolves(v.getName())) {
          throw new InvalidModelException(where(id) + "graph output '" + v.getName()
              + "' is not produced by any node, input or initializer");
        }
      }
    }

    void nodes(List<NodeProto> nodes, String id) throws InvalidModelException {
      // every definition first (node order need not be topological), then every reading
      for (int i = 0; i < nodes.size(); i++) {
        NodeProto n = nodes.get(i);
        for (String out : n.getOutputList()) {
          if (!out.isEmpty()) {
            define(out, id, "an output of " + label(n, i));
          }
        }
        if (isConstantNode(n) && n.getOutputCount() > 0) {
          for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("value") && a.hasT()) {
              constants.put(n.getOutput(0), a.getT());
            }
          }
        }
      }
      Map<String, Integer> producer = new HashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        for (String out : nodes.get(i).getOutputList()) {
          if (!out.isEmpty()) {
            producer.put(out, i);
          }
        }
      }
      List<Set<Integer>> predecessors = new ArrayList<>(nodes.size());
      for (int i = 0; i < nodes.size(); i++) {
        NodeProto n = nodes.get(i);
        Set<Integer> pre = new LinkedHashSet<>();
        for (int s = 0; s < n.getInputCount(); s++) {
          String in = n.getInput(s);
          if (in.isEmpty()) {
            continue; // an omitted optional input
          }
          if (!resolves(in)) {
            throw new InvalidModelException(where(id) + label(n, i) + " reads '" + in
                + "' (input " + s + "), which no node, graph input or initializer defines");
          }
          Integer p = producer.get(in);
          if (p != null) {
            pre.add(p);
          }
          checkNumeric(n, i, s, in, id);
        }
        for (AttributeProto a : n.getAttributeList()) {
          List<GraphProto> subgraphs = new ArrayList<>(a.getGraphsList());
          if (a.hasG()) {
            subgraphs.add(0, a.getG());
          }
          for (int k = 0; k < subgraphs.size(); k++) {
            GraphProto sub = subgraphs.get(k);
            Scope inner = new Scope(this);
            inner.graph(sub, TensorWalker.subgraphId(id, i, n, a.getName(), a.hasG() && k == 0 ? -1
                : a.hasG() ? k - 1 : k));
            // a subgraph's reads of this graph's values are inputs of the node that holds it
            for (String read : inner.outerReads(sub)) {
              Integer p = producer.get(read);
              if (p != null && !defined(read, inner)) {
                pre.add(p);
              }
            }
          }
        }
        predecessors.add(pre);
      }
      checkAcyclic(nodes, predecessors, id);
    }

    /** True when {@code name} is defined by {@code inner} or a scope between it and this one. */
    private boolean defined(String name, Scope inner) {
      for (Scope s = inner; s != null && s != this; s = s.parent) {
        if (s.defined.containsKey(name)) {
          return true;
        }
      }
      return false;
    }

    /** The names a subgraph's nodes (at any depth) read; the caller filters those it defines. */
    private Set<String> outerReads(GraphProto g) {
      Set<String> reads = new HashSet<>();
      collectReads(g, reads);
      return reads;
    }

    private static void collectReads(GraphProto g, Set<String> reads) {
      for (NodeProto n : g.getNodeList()) {
        for (String in : n.getInputList()) {
          if (!in.isEmpty()) {
            reads.add(in);
          }
        }
        for (AttributeProto a : n.getAttributeList()) {
          if (a.hasG()) {
            collectReads(a.getG(), reads);
          }
          for (GraphProto sub : a.getGraphsList()) {
            collectReads(sub, reads);
          }
        }
      }
    }

    private void checkNumeric(NodeProto n, int index, int slot, String in, String id)
        throws InvalidModelException {
      if (!isOnnxDomain(n) || !NUMERIC_WEIGHT_OPS.contains(n.getOpType())) {
        return;
      }
      TensorProto c = constant(in);
      if (c != null && c.getDataType() == TensorProto.DataType.STRING_VALUE) {
        throw new InvalidModelException(where(id) + label(n, index) + " reads '" + in
            + "' (input " + slot + "), a STRING tensor; " + n.getOpType() + " takes numbers");
      }
    }
  }

  private static boolean isOnnxDomain(NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
  }

  private static boolean isConstantNode(NodeProto n) {
    return isOnnxDomain(n) && n.getOpType().equals("Constant");
  }

  /** Kahn's algorithm; a node left over sits on or behind a cycle, and the message names one cycle. */
  private static void checkAcyclic(List<NodeProto> nodes, List<Set<Integer>> predecessors, String id)
      throws InvalidModelException {
    int n = nodes.size();
    int[] waiting = new int[n];
    List<List<Integer>> successors = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      successors.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      waiting[i] = predecessors.get(i).size();
      for (int p : predecessors.get(i)) {
        successors.get(p).add(i);
      }
    }
    Deque<Integer> ready = new ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      if (waiting[i] == 0) {
        ready.add(i);
      }
    }
    int done = 0;
    while (!ready.isEmpty()) {
      int i = ready.poll();
      done++;
      for (int s : successors.get(i)) {
        if (--waiting[s] == 0) {
          ready.add(s);
        }
      }
    }
    if (done == n) {
      return;
    }
    // walk predecessors among the left-over nodes until one repeats: that stretch is a cycle
    int start = -1;
    for (int i = 0; i < n && start < 0; i++) {
      if (waiting[i] > 0) {
        start = i;
      }
    }
    List<Integer> path = new ArrayList<>();
    Map<Integer, Integer> seenAt = new HashMap<>();
    int cur = start;
    while (!seenAt.containsKey(cur)) {
      seenAt.put(cur, path.size());
      path.add(cur);
      int next = -1;
      for (int p : predecessors.get(cur)) {
        if (waiting[p] > 0) {
          next = p;
          break;
        }
      }
      cur = next;
    }
    List<Integer> cycle = new ArrayList<>(path.subList(seenAt.get(cur), path.size()));
    java.util.Collections.reverse(cycle);
    StringBuilder b = new StringBuilder();
    for (int i : cycle) {
      b.append(label(nodes.get(i), i)).append(" -> ");
    }
    b.append(label(nodes.get(cycle.get(0)), cycle.get(0)));
    throw new InvalidModelException(where(id) + "the nodes form a cycle: " + b
        + " (each reads an output of the one before)");
  }
}
