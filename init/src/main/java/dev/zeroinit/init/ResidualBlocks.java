package dev.zeroinit.init;

import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.NodeRef;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds residual blocks in any ONNX graph, from its structure alone: an Add whose two inputs share an
 * ancestor, one side reached through weight layers (the branch), the other a skip (the shared value
 * itself, or one shortcut weight layer). The branch's last weight layer is the one whose output meets
 * the Add, possibly through a normalisation, a bias Add, a constant scale, Reshape, Transpose,
 * Flatten, Identity, Cast or Dropout. Works per graph; names play no part.
 */
public final class ResidualBlocks {
  /** Ops between a branch's last weight layer and the Add that leave its zero output zero. */
  private static final Set<String> TRANSPARENT = Set.of("BatchNormalization", "InstanceNormalization",
      "Reshape", "Transpose", "Flatten", "Identity", "Dropout", "Squeeze", "Unsqueeze", "Cast");
  private static final Set<String> WEIGHT_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

  /**
   * One residual block.
   *
   * @param id 1-based, in graph order of the Adds
   * @param add the Add joining branch and skip
   * @param branchEnd the branch's last weight layer (zeroed by {@code --residual zero-last})
   * @param branchLayers every weight layer of the branch, in graph order
   * @param shortcut the skip's weight layer, or null for an identity skip
   */
  public record Block(int id, NodeRef add, NodeRef branchEnd, List<NodeRef> branchLayers, NodeRef shortcut) {
    String skipKind() {
      return shortcut == null ? "identity" : "shortcut " + shortcut.opType() + " '" + shortcut.label() + "'";
    }
  }

  private final GraphIndex graph;
  private final List<NodeRef> nodes;
  private final Map<Integer, BitSet> ancestors = new HashMap<>();
  private final BitSet weightLayers = new BitSet();

  private ResidualBlocks(GraphIndex graph) {
    this.graph = graph;
    this.nodes = graph.nodes();
    for (NodeRef n : nodes) {
      if (isWeightLayer(n)) {
        weightLayers.set(n.index());
      }
    }
  }

  /** The residual blocks of one graph (subgraphs are analysed on their own). */
  public static List<Block> find(GraphIndex graph) {
    return new ResidualBlocks(graph).find();
  }

  private List<Block> find() {
    List<Block> blocks = new ArrayList<>();
    for (NodeRef n : nodes) {
      if (!n.isOnnxOp("Add") || n.node().getInputCount() != 2) {
        continue;
      }
      NodeRef pa = producer(n.input(0));
      NodeRef pb = producer(n.input(1));
      if (pa == null && pb == null) {
        continue;
      }
      Block b = block(n, pa, pb, blocks.size() + 1);
      if (b != null) {
        blocks.add(b);
      }
    }
    return blocks;
  }

  private Block block(NodeRef add, NodeRef pa, NodeRef pb, int id) {
    BitSet aa = pa == null ? new BitSet() : withSelf(pa);
    BitSet ab = pb == null ? new BitSet() : withSelf(pb);
    String a = add.input(0);
    String b = add.input(1);
    BitSet common = (BitSet) aa.clone();
    common.and(ab);
    boolean aIsAncestorOfB = readBy(a, ab);
    boolean bIsAncestorOfA = readBy(b, aa);
    BitSet branchNodes;
    BitSet skipNodes;
    String branchValue;
    if (aIsAncestorOfB || bIsAncestorOfA) {
      branchValue = aIsAncestorOfB ? b : a;
      BitSet skipAncestors = aIsAncestorOfB ? aa : ab;
      branchNodes = (BitSet) (aIsAncestorOfB ? ab : aa).clone();
      branchNodes.andNot(skipAncestors);
      if (pa != null && aIsAncestorOfB) {
        branchNodes.clear(pa.index());
      } else if (pb != null && bIsAncestorOfA) {
        branchNodes.clear(pb.index());
      }
      skipNodes = new BitSet();
    } else {
      int join = common.length() - 1; // the latest shared node: nodes are in topological order
      String sharedInput = join < 0 ? sharedGraphInput(a, b) : null;
      if (join < 0 && sharedInput == null) {
        return null;
      }
      BitSet above = join < 0 ? new BitSet() : withSelf(nodes.get(join));
      BitSet onA = (BitSet) aa.clone();
      onA.andNot(above);
      BitSet onB = (BitSet) ab.clone();
      onB.andNot(above);
      int wa = weights(onA);
      int wb = weights(onB);
      if (wa == wb || Math.min(wa, wb) > 1) {
        return null; // two comparable paths: a fork, not a residual block
      }
      boolean aIsBranch = wa > wb;
      branchValue = aIsBranch ? a : b;
      branchNodes = aIsBranch ? onA : onB;
      skipNodes = aIsBranch ? onB : onA;
    }
    if (weights(branchNodes) == 0) {
      return null;
    }
    NodeRef end = lastWeightLayer(branchValue);
    if (end == null || !branchNodes.get(end.index())) {
      return null;
    }
    List<NodeRef> layers = new ArrayList<>();
    branchNodes.stream().filter(weightLayers::get).forEach(i -> layers.add(nodes.get(i)));
    NodeRef shortcut = null;
    int s = skipNodes.nextSetBit(0);
    while (s >= 0) {
      if (weightLayers.get(s)) {
        shortcut = nodes.get(s);
      }
      s = skipNodes.nextSetBit(s + 1);
    }
    return new Block(id, add, end, List.copyOf(layers), shortcut);
  }

  /** Walks back from the branch output through transparent ops to its last weight layer. */
  private NodeRef lastWeightLayer(String value) {
    String v = value;
    for (int steps = 0; steps < 64; steps++) {
      NodeRef p = producer(v);
      if (p == null) {
        return null;
      }
      if (weightLayers.get(p.index())) {
        return p;
      }
      String op = p.opType();
      if (TRANSPARENT.contains(op)) {
        v = p.input(0);
      } else if ((op.equals("Add") || op.equals("Mul") || op.equals("Sub") || op.equals("Div"))
          && p.node().getInputCount() == 2) {
        // a bias or a constant scale: continue on the computed side
        boolean c0 = isConstant(p.input(0));
        boolean c1 = isConstant(p.input(1));
        if (c0 == c1 || (c0 && !op.equals("Add") && !op.equals("Mul"))) {
          return null;
        }
        v = c0 ? p.input(1) : p.input(0);
      } else {
        return null;
      }
    }
    return null;
  }

  /** True when a constant (through Identity, Cast, Reshape, ...) is behind {@code value}. */
  private boolean isConstant(String value) {
    try {
      return ChainTracer.trace(graph, value) != null;
    } catch (TraceException e) {
      return true;
    }
  }

  private boolean isWeightLayer(NodeRef n) {
    String op = n.opType();
    if (!WEIGHT_OPS.contains(op) || !(n.node().getDomain().isEmpty() || n.node().getDomain().equals("ai.onnx"))) {
      return false;
    }
    try {
      if (op.equals("Conv") || op.equals("ConvTranspose")) {
        return ChainTracer.trace(graph, n.input(1)) != null;
      }
      return isConstant(n.input(0)) || isConstant(n.input(1));
    } catch (TraceException e) {
      return true; // a constant is behind it, even if the chain cannot be followed
    }
  }

  private int weights(BitSet set) {
    BitSet w = (BitSet) set.clone();
    w.and(weightLayers);
    return w.cardinality();
  }

  private NodeRef producer(String value) {
    return value.isEmpty() ? null : graph.producer(value);
  }

  /** Nodes that {@code n}'s output depends on, including {@code n}. */
  private BitSet withSelf(NodeRef n) {
    BitSet cached = ancestors.get(n.index());
    if (cached != null) {
      return cached;
    }
    BitSet set = new BitSet();
    List<NodeRef> stack = new ArrayList<>();
    stack.add(n);
    set.set(n.index());
    while (!stack.isEmpty()) {
      NodeRef cur = stack.remove(stack.size() - 1);
      for (String in : cur.node().getInputList()) {
        NodeRef p = producer(in);
        if (p != null && !set.get(p.index())) {
          BitSet known = ancestors.get(p.index());
          if (known != null) {
            set.or(known);
          } else {
            set.set(p.index());
            stack.add(p);
          }
        }
      }
    }
    ancestors.put(n.index(), set);
    return set;
  }

  /** True when some node in {@code set} reads {@code value}. */
  private boolean readBy(String value, BitSet set) {
    for (var use : graph.consumers(value)) {
      if (set.get(use.node().index())) {
        return true;
      }
    }
    return false;
  }

  /** A graph input (or outer value) both sides read, when they share no node. */
  private String sharedGraphInput(String a, String b) {
    NodeRef pa = producer(a);
    NodeRef pb = producer(b);
    BitSet aa = pa == null ? new BitSet() : withSelf(pa);
    BitSet ab = pb == null ? new BitSet() : withSelf(pb);
    for (NodeRef n : nodes) {
      if (!aa.get(n.index())) {
        continue;
      }
      for (String in : n.node().getInputList()) {
        if (!in.isEmpty() && producer(in) == null && !isConstant(in) && readBy(in, ab)) {
          return in;
        }
      }
    }
    return null;
  }
}
