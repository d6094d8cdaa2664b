package dev.zeroinit.verify;

import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanEntry;
import dev.zeroinit.init.Role;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.GraphInputs;
import dev.zeroinit.onnxio.graph.NodeRef;
import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tensors of the main graph are observed, and which of them the plan made zero on purpose.
 *
 * <p>Observed: output 0 of every weight-bearing node (Gemm, MatMul, Conv, ConvTranspose), every
 * normalisation node (BatchNormalization, LayerNormalization, InstanceNormalization,
 * GroupNormalization, RMSNormalization) and every residual Add (an Add whose two inputs are both
 * computed from the graph inputs), when that output depends on the graph inputs. Only float tensors
 * are kept; the runtime tells their types. Tensors inside subgraphs (If, Loop, Scan bodies) cannot be
 * made graph outputs and are not observed.
 *
 * <p>Expected zero: the output of a node one of whose weights (traced back through Identity, Cast,
 * Transpose, Reshape, Squeeze, Unsqueeze, Flatten to the stored tensor) the plan set to zero with role
 * WEIGHT (a residual branch zeroed on purpose), and every tensor computed only from such outputs and
 * constants.
 */
public final class Probes {
  static final Set<String> WEIGHT_OPS = Set.of("Gemm", "MatMul", "Conv", "ConvTranspose");
  static final Set<String> NORM_OPS = Set.of("BatchNormalization", "LayerNormalization",
      "InstanceNormalization", "GroupNormalization", "RMSNormalization");
  private static final Set<String> WEIGHT_CHAIN = Set.of("Identity", "Cast", "Transpose", "Reshape", "Squeeze",
      "Unsqueeze", "Flatten");

  /** What kind of tensor a probe observes. */
  public enum Kind { LAYER, NORM, RESIDUAL }

  /**
   * One observed tensor.
   *
   * @param index position in graph order among the probes
   * @param node the producing node's name ({@code #i} when unnamed)
   * @param op its op type
   * @param output the tensor's name
   * @param kind layer, normalisation or residual Add
   * @param expectedZero why the plan makes it zero, or null
   */
  public record Probe(int index, String node, String op, String output, Kind kind, String expectedZero) { }

  private final List<Probe> probes;
  private final Set<String> dynamic;
  private final String embedding;

  private Probes(List<Probe> probes, Set<String> dynamic, String embedding) {
    this.probes = List.copyOf(probes);
    this.dynamic = dynamic;
    this.embedding = embedding;
  }

  public List<Probe> probes() {
    return probes;
  }

  /** True when {@code value} is computed from the graph inputs. */
  public boolean isDynamic(String value) {
    return dynamic.contains(value);
  }

  /**
   * The first tensor a Gather reads out of a constant float table with computed indices (an
   * embedding lookup), or null: the reference for the gain when no graph input is a float.
   */
  public String embeddingOutput() {
    return embedding;
  }

  /** Selects the probes of {@code graph}; {@code plan} may be null (nothing expected zero). */
  public static Probes select(GraphProto graph, GraphIndex index, Plan plan) {
    Set<String> dynamic = new HashSet<>();
    GraphInputs.fed(graph).forEach(v -> dynamic.add(v.getName()));
    Map<TensorSite, String> zeroed = new HashMap<>();
    if (plan != null) {
      for (PlanEntry e : plan.entries()) {
        if (e.rewritten() && e.role() == Role.WEIGHT && "zero".equals(e.rule())
            && e.site().graphId().equals(TensorWalker.MAIN_GRAPH)) {
          zeroed.put(e.site(), e.name());
        }
      }
    }
    Map<String, String> expected = new LinkedHashMap<>();
    List<Probe> out = new ArrayList<>();
    String embedding = null;
    for (NodeRef n : index.nodes()) {
      NodeProto node = n.node();
      boolean anyDynamic = false;
      boolean allDynamicExpected = true;
      String upstream = null;
      for (String in : node.getInputList()) {
        if (!in.isEmpty() && dynamic.contains(in)) {
          anyDynamic = true;
          if (expected.containsKey(in)) {
            upstream = upstream == null ? expected.get(in) : upstream;
          } else {
            allDynamicExpected = false;
          }
        }
      }
      if (!anyDynamic && hasSubgraph(node)) {
        anyDynamic = true; // a subgraph may read computed outer values
        allDynamicExpected = false;
      }
      if (!anyDynamic) {
        continue;
      }
      for (String o : node.getOutputList()) {
        if (!o.isEmpty()) {
          dynamic.add(o);
        }
      }
      String out0 = node.getOutputCount() > 0 ? node.getOutput(0) : "";
      if (out0.isEmpty()) {
        continue;
      }
      boolean onnx = node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx");
      // Zero by design: the node reads a weight the plan zeroed, or each computed input it reads is
      // such a tensor (the BatchNormalization after a zeroed conv). origin names the zeroed layer.
      String zeroWeight = onnx && WEIGHT_OPS.contains(n.opType()) ? zeroedWeight(index, n, zeroed) : null;
      String origin = zeroWeight != null ? n.label() : allDynamicExpected ? upstream : null;
      if (origin != null) {
        for (String o : node.getOutputList()) {
          if (!o.isEmpty()) {
            expected.put(o, origin);
          }
        }
      }
      if (embedding == null && onnx && n.opType().equals("Gather") && !dynamic.contains(n.input(0))
          && index.constant(n.input(0)) != null && isFloat(index.constant(n.input(0)).tensor().getDataType())) {
        embedding = out0;
      }
      if (!onnx) {
        continue;
      }
      Kind kind = null;
      if (WEIGHT_OPS.contains(n.opType())) {
        kind = Kind.LAYER;
      } else if (NORM_OPS.contains(n.opType())) {
        kind = Kind.NORM;
      } else if (n.opType().equals("Add") && node.getInputCount() == 2 && dynamic.contains(node.getInput(0))
          && dynamic.contains(node.getInput(1))) {
        kind = Kind.RESIDUAL;
      }
      if (kind != null) {
        String reason = zeroWeight != null ? "weight " + zeroWeight + " zeroed by the plan"
            : origin != null ? "downstream of " + origin + ", whose weight the plan zeroed" : null;
        out.add(new Probe(out.size(), n.label(), n.opType(), out0, kind, reason));
      }
    }
    return new Probes(out, dynamic, embedding);
  }

  private static boolean isFloat(int code) {
    return code == 1 || code == 10 || code == 11 || code == 16;
  }

  private static boolean hasSubgraph(NodeProto n) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasG() || a.getGraphsCount() > 0) {
        return true;
      }
    }
    return false;
  }

  /** The name of a zeroed weight this node reads (through a chain of reshaping ops), or null. */
  private static String zeroedWeight(GraphIndex g, NodeRef n, Map<TensorSite, String> zeroed) {
    if (zeroed.isEmpty()) {
      return null;
    }
    for (String in : n.node().getInputList()) {
      String value = in;
      for (int depth = 0; depth < 16 && !value.isEmpty(); depth++) {
        GraphIndex.ConstantRef c = g.constant(value);
        if (c != null) {
          String name = zeroed.get(c.site());
          if (name != null) {
            return name;
          }
          break;
        }
        NodeRef p = g.producer(value);
        if (p == null || !WEIGHT_CHAIN.contains(p.opType())) {
          break;
        }
        value = p.input(0);
      }
    }
    return null;
  }
}
