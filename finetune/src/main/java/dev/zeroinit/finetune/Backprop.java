package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode differentiation of one forward graph into an {@link Emitter}: the forward nodes (in
 * their training form) are written first, then, from the seed gradients, every node on a path from a
 * parameter to the seeds gets its {@link GradientRule}'s backward ops, in reverse topological order.
 * Gradients reaching one value from several consumers are summed with one Sum node.
 *
 * <p>A value is <em>active</em> when it is of a float type and depends on a value the gradient is
 * asked for; only active inputs receive gradients, so constant and Shape-driven subgraphs (int64
 * shapes, masks, indices) carry none and need no rule.
 */
final class Backprop {
  private final List<Onnx.NodeProto> order;
  private final Emitter em;
  private final GradientRules rules;
  private final Set<String> active = new HashSet<>();
  private final Set<String> state;
  private final Map<String, String> stateUpdates = new LinkedHashMap<>();
  private final Map<Onnx.NodeProto, Object> saved = new IdentityHashMap<>();
  private final Map<String, List<String>> contributions = new HashMap<>();
  private final Map<String, String> finalized = new HashMap<>();

  /**
   * @param nodes the forward nodes (any order; they are sorted)
   * @param known names available before the first node (graph inputs, initializers)
   * @param wrt the values gradients are asked for
   * @param state values carried between steps whose next value the forward pass computes
   */
  Backprop(List<Onnx.NodeProto> nodes, Set<String> known, Emitter em, GradientRules rules,
      Collection<String> wrt, Set<String> state) {
    this.order = topologicalOrder(nodes, known);
    this.em = em;
    this.rules = rules;
    this.state = state;
    ShapeInference shapes = em.shapes();
    for (Onnx.NodeProto n : order) {
      shapes.node(n);
    }
    for (String w : wrt) {
      active.add(w);
    }
    for (Onnx.NodeProto n : order) {
      boolean any = false;
      for (String in : n.getInputList()) {
        any |= !in.isEmpty() && active.contains(in);
      }
      for (String in : NodeAttrs.implicitInputs(n)) {
        any |= active.contains(in);
      }
      if (any) {
        for (String out : n.getOutputList()) {
          int t = shapes.type(out);
          if (!out.isEmpty() && (t == 0 || TensorInfo.isFloatType(t))) {
            active.add(out);
          }
        }
      }
    }
  }

  Emitter emitter() {
    return em;
  }

  GradientRules rules() {
    return rules;
  }

  List<Onnx.NodeProto> order() {
    return order;
  }

  boolean isActive(String name) {
    return active.contains(name);
  }

  boolean isState(String name) {
    return state.contains(name);
  }

  void stateUpdate(String stateName, String next) {
    stateUpdates.put(stateName, next);
  }

  /** Next values of state inputs computed by the forward pass (BatchNormalization statistics). */
  Map<String, String> stateUpdates() {
    return stateUpdates;
  }

  /** Writes the forward nodes in their training form. */
  void forward() {
    em.scope("fw");
    for (Onnx.NodeProto n : order) {
      GradientRule rule = rules.get(n);
      if (rule == null) {
        em.addNode(n);
      } else {
        saved.put(n, rule.forward(new NodeContext(this, n, null)));
      }
    }
  }

  /**
   * Writes the backward pass from the given seeds (value name to the name of its gradient) and
   * returns the gradient of each requested value (null when none reaches it).
   */
  Map<String, String> backward(Map<String, String> seeds, Collection<String> wrt) {
    em.scope("bw");
    seeds.forEach(this::accumulate);
    for (int i = order.size() - 1; i >= 0; i--) {
      Onnx.NodeProto n = order.get(i);
      boolean hasGrad = false;
      for (String out : n.getOutputList()) {
        hasGrad |= !out.isEmpty() && contributions.containsKey(out);
      }
      if (!hasGrad) {
        continue;
      }
      boolean needs = false;
      for (String in : n.getInputList()) {
        needs |= !in.isEmpty() && active.contains(in);
      }
      for (String in : NodeAttrs.implicitInputs(n)) {
        needs |= active.contains(in);
      }
      if (!needs) {
        continue;
      }
      GradientRule rule = rules.get(n);
      if (rule == null) {
        throw rules.unsupported(n, null);
      }
      if (NodeAttrs.implicitInputs(n).stream().anyMatch(active::contains)) {
        throw rules.unsupported(n, "a parameter is read inside its subgraph");
      }
      String scope = n.getName().isEmpty() ? n.getOpType() : n.getName();
      em.scope("bw/" + scope);
      rule.backward(new NodeContext(this, n, saved.get(n)));
    }
    em.scope("bw");
    Map<String, String> out = new LinkedHashMap<>();
    for (String w : wrt) {
      out.put(w, gradOf(w));
    }
    return out;
  }

  /** The summed gradient of a value (emits the Sum on first use), null when none reached it. */
  String gradOf(String name) {
    String done = finalized.get(name);
    if (done != null) {
      return done;
    }
    List<String> parts = contributions.get(name);
    if (parts == null || parts.isEmpty()) {
      return null;
    }
    String g = em.sum(parts);
    if (parts.size() > 1) {
      em.shapes().set(g, em.type(parts.get(0)), em.dims(name));
    }
    finalized.put(name, g);
    return g;
  }

  void accumulate(String name, String g) {
    if (name.isEmpty() || g == null) {
      return;
    }
    if (finalized.containsKey(name)) {
      throw new IllegalStateException("gradient of '" + name + "' used before it was complete");
    }
    contributions.computeIfAbsent(name, k -> new ArrayList<>()).add(g);
  }

  /** Kahn's algorithm, keeping the given order where it is already valid. */
  static List<Onnx.NodeProto> topologicalOrder(List<Onnx.NodeProto> nodes, Set<String> known) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String o : nodes.get(i).getOutputList()) {
        if (!o.isEmpty()) {
          producer.put(o, i);
        }
      }
    }
    int[] missing = new int[nodes.size()];
    Map<Integer, List<Integer>> dependents = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Set<Integer> deps = new HashSet<>();
      List<String> ins = new ArrayList<>(nodes.get(i).getInputList());
      ins.addAll(NodeAttrs.implicitInputs(nodes.get(i)));
      for (String in : ins) {
        Integer p = producer.get(in);
        if (!in.isEmpty() && p != null && p != i && !known.contains(in)) {
          deps.add(p);
        }
      }
      missing[i] = deps.size();
      for (int p : deps) {
        dependents.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
      }
    }
    java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (missing[i] == 0) {
        ready.add(i);
      }
    }
    List<Onnx.NodeProto> out = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      int i = ready.poll();
      out.add(nodes.get(i));
      for (int d : dependents.getOrDefault(i, List.of())) {
        if (--missing[d] == 0) {
          ready.add(d);
        }
      }
    }
    if (out.size() != nodes.size()) {
      throw new TrainGraphException("the forward graph has a cycle");
    }
    return out;
  }

  /** The nodes that the values {@code sinks} depend on, in their order. */
  static List<Onnx.NodeProto> prune(List<Onnx.NodeProto> nodes, Set<String> sinks) {
    Set<String> needed = new HashSet<>(sinks);
    Deque<Onnx.NodeProto> keep = new ArrayDeque<>();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Onnx.NodeProto n = nodes.get(i);
      boolean used = false;
      for (String o : n.getOutputList()) {
        used |= !o.isEmpty() && needed.contains(o);
      }
      if (used) {
        keep.addFirst(n);
        needed.addAll(n.getInputList());
        needed.addAll(NodeAttrs.implicitInputs(n));
      }
    }
    return new ArrayList<>(keep);
  }
}
