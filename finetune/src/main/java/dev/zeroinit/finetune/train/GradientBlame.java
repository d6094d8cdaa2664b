package dev.zeroinit.finetune.train;

import dev.zeroinit.finetune.ZeroGradients;
import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanEntry;
import dev.zeroinit.init.ResidualBlock;
import dev.zeroinit.init.Role;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.verify.TensorStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Explains all-zero gradients with {@link ZeroGradients}, in words: first by the weights the plan
 * zeroed on purpose (the last layers of residual branches, under {@code --residual zero-last}) that
 * are indeed all zero in the file — those make a gradient ZERO-EXPECTED; then, for what is left, by
 * any all-zero weight, which names the culprit of a failure without excusing it.
 */
final class GradientBlame {
  private static final Set<String> WEIGHT_OPS = Set.of("MatMul", "Gemm", "Conv", "ConvTranspose", "Mul");

  private final Onnx.GraphProto graph;
  private final String output;
  private final OnnxModel source;
  private final Map<String, Onnx.TensorProto> initializers = new LinkedHashMap<>();
  private final Map<String, Boolean> allZero = new HashMap<>();
  private final Map<String, String> planned = new LinkedHashMap<>();

  /**
   * @param forward the forward graph the step was built from
   * @param output the output the loss reads
   * @param plan the plan that says which weights were zeroed on purpose
   * @param source the model, for weights held as external data
   */
  GradientBlame(Onnx.GraphProto forward, String output, Plan plan, OnnxModel source) {
    this.graph = forward;
    this.output = output;
    this.source = source;
    forward.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
    Map<String, ResidualBlock> blocks = new HashMap<>();
    for (ResidualBlock b : plan.blocks()) {
      if (b.graph().equals(TensorWalker.MAIN_GRAPH) && b.zeroed()) {
        blocks.put(b.branchEnd(), b);
      }
    }
    for (PlanEntry e : plan.entries()) {
      if (e.rewritten() && e.role() == Role.WEIGHT && "zero".equals(e.rule())
          && e.site().graphId().equals(TensorWalker.MAIN_GRAPH)) {
        String where = "zeroed by the plan";
        for (String c : e.consumers()) {
          ResidualBlock b = blocks.get(c);
          if (b != null) {
            where = "last layer of residual block #" + b.id() + ", " + b.add();
            break;
          }
        }
        planned.put(e.name(), where);
      }
    }
  }

  /**
   * For each tensor of {@code params} whose gradient the plan's zeroed weights make zero, why.
   *
   * @throws IOException when a weight held as external data cannot be read
   */
  Map<String, String> expected(List<String> params) throws IOException {
    Set<String> zero = new LinkedHashSet<>();
    for (String w : planned.keySet()) {
      if (isAllZero(w)) {
        zero.add(w);
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (zero.isEmpty()) {
      return out;
    }
    explain(zero, params).forEach((p, e) -> out.put(p, words(e, true)));
    return out;
  }

  /**
   * For each tensor of {@code params} whose gradient some all-zero weight makes zero, which weight
   * (not one the plan zeroed on purpose, or {@link #expected} would have explained it).
   */
  Map<String, String> unplanned(List<String> params) throws IOException {
    Set<String> zero = new LinkedHashSet<>();
    for (Onnx.NodeProto n : graph.getNodeList()) {
      if (!WEIGHT_OPS.contains(n.getOpType())) {
        continue;
      }
      for (String in : n.getInputList()) {
        if (initializers.containsKey(in) && isAllZero(in)) {
          zero.add(in);
        }
      }
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (zero.isEmpty()) {
      return out;
    }
    explain(zero, params).forEach((p, e) -> out.put(p, words(e, false)));
    return out;
  }

  private Map<String, ZeroGradients.Explanation> explain(Set<String> zero, List<String> params) throws IOException {
    try {
      return ZeroGradients.explain(graph, output, zero, this::zeroConstant, params);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private boolean zeroConstant(String name) {
    if (!initializers.containsKey(name)) {
      return false;
    }
    try {
      return isAllZero(name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the initializer {@code name} is a float tensor of only zeros (-0 included). */
  boolean isAllZero(String name) throws IOException {
    Boolean known = allZero.get(name);
    if (known != null) {
      return known;
    }
    Onnx.TensorProto t = initializers.get(name);
    boolean zero = false;
    if (t != null && (t.getDataType() == 1 || t.getDataType() == 10 || t.getDataType() == 11
        || t.getDataType() == 16)) {
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      DataType type = TensorData.type(t.getDataType());
      try {
        zero = TensorStats.of(type, dims, TensorData.rawBytes(t, source), false).allZero();
      } catch (IllegalArgumentException e) {
        zero = false; // larger than one buffer: not read, so not claimed to be zero
      }
    }
    allZero.put(name, zero);
    return zero;
  }

  private String words(ZeroGradients.Explanation e, boolean onPurpose) {
    List<String> named = new ArrayList<>();
    for (String w : e.weights()) {
      named.add(onPurpose ? w + " (" + planned.getOrDefault(w, "zeroed by the plan") + ")" : w);
    }
    String weights = String.join(", ", named);
    String by = onPurpose ? (e.weights().size() == 1 ? "a weight" : "weights") + " the plan zeroed on purpose: "
        + weights : "the all-zero " + weights + ", which the plan does not zero on purpose";
    List<String> parts = new ArrayList<>();
    if (e.causes().contains(ZeroGradients.Cause.PATH)) {
      parts.add("every path from it to the loss passes " + by);
    }
    if (e.causes().contains(ZeroGradients.Cause.INPUT)) {
      parts.add("it multiplies a tensor made zero by " + by);
    }
    return String.join("; ", parts);
  }

}
