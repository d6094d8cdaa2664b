package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which initializers of a forward graph the step trains. Trainable: every float initializer of rank
 * at least 1 that the chosen output depends on through an input the gradient flows through (a weight,
 * bias, normalisation scale or shift, an embedding table), unless the freeze pattern finds its name.
 * Not trainable: the running mean and variance of BatchNormalization (state, updated by the step),
 * scalars (constants such as GELU's sqrt 2), tensors used only where no gradient flows (Resize
 * scales, Pad values, Clip bounds, shapes), and tensors the output does not depend on. Running
 * statistics are state only where one BatchNormalization reads them directly; statistics an exporter
 * shares between nodes (de-duplicated initializers) are left as they are.
 */
final class TrainableParameters {
  private TrainableParameters() {}

  /**
   * The result.
   *
   * @param trainable trainable parameters, in initializer order
   * @param runningStats BatchNormalization running means and variances held as initializers
   * @param excluded every other float initializer, with the reason
   */
  record Selection(List<String> trainable, List<String> runningStats,
      Map<String, String> excluded) {}

  /** Inputs (op type, index) through which no gradient flows. */
  private static final Map<String, Set<Integer>> NON_DIFFERENTIABLE = Map.ofEntries(
      Map.entry("BatchNormalization", Set.of(3, 4)),
      Map.entry("Resize", Set.of(1, 2, 3)),
      Map.entry("Upsample", Set.of(1)),
      Map.entry("Clip", Set.of(1, 2)),
      Map.entry("Pad", Set.of(1, 2, 3)),
      Map.entry("Dropout", Set.of(1, 2)),
      Map.entry("Reshape", Set.of(1)),
      Map.entry("Expand", Set.of(1)),
      Map.entry("Tile", Set.of(1)),
      Map.entry("Slice", Set.of(1, 2, 3, 4)),
      Map.entry("Range", Set.of(0, 1, 2)),
      Map.entry("ConstantOfShape", Set.of(0)),
      Map.entry("Shape", Set.of(0)),
      Map.entry("Size", Set.of(0)),
      Map.entry("Where", Set.of(0)),
      Map.entry("Gather", Set.of(1)),
      Map.entry("GatherElements", Set.of(1)),
      Map.entry("ArgMax", Set.of(0)),
      Map.entry("ArgMin", Set.of(0)),
      Map.entry("Equal", Set.of(0, 1)),
      Map.entry("Less", Set.of(0, 1)),
      Map.entry("Greater", Set.of(0, 1)),
      Map.entry("LessOrEqual", Set.of(0, 1)),
      Map.entry("GreaterOrEqual", Set.of(0, 1)));

  static Selection select(Onnx.GraphProto g, String output, Pattern freeze) {
    // the values the output depends on; "differentiable" ones through inputs that carry gradients
    Set<String> influences = new HashSet<>();
    Set<String> differentiable = new HashSet<>();
    influences.add(output);
    differentiable.add(output);
    List<Onnx.NodeProto> reverse = new ArrayList<>(Backprop.topologicalOrder(g.getNodeList(),
        new HashSet<>()));
    java.util.Collections.reverse(reverse);
    for (Onnx.NodeProto n : reverse) {
      boolean outDiff = false;
      boolean outInf = false;
      for (String o : n.getOutputList()) {
        outInf |= influences.contains(o);
        outDiff |= differentiable.contains(o);
      }
      if (!outInf) {
        continue;
      }
      Set<Integer> blocked = NON_DIFFERENTIABLE.getOrDefault(n.getOpType(), Set.of());
      for (int k = 0; k < n.getInputCount(); k++) {
        String in = n.getInput(k);
        if (in.isEmpty()) {
          continue;
        }
        influences.add(in);
        if (outDiff && !blocked.contains(k)) {
          differentiable.add(in);
        }
      }
      for (String in : NodeAttrs.implicitInputs(n)) {
        influences.add(in);
        if (outDiff) {
          differentiable.add(in);
        }
      }
    }

    Set<String> bnStats = new HashSet<>();
    Map<String, Integer> uses = new java.util.HashMap<>();
    for (Onnx.NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        bnStats.add(NodeAttrs.input(n, 3));
        bnStats.add(NodeAttrs.input(n, 4));
      }
      for (String in : n.getInputList()) {
        uses.merge(in, 1, Integer::sum);
      }
      for (String in : NodeAttrs.implicitInputs(n)) {
        uses.merge(in, 1, Integer::sum);
      }
    }
    List<String> trainable = new ArrayList<>();
    List<String> running = new ArrayList<>();
    Map<String, String> excluded = new LinkedHashMap<>();
    for (Onnx.TensorProto t : g.getInitializerList()) {
      String name = t.getName();
      if (!TensorInfo.isFloatType(t.getDataType())) {
        continue;
      }
      if (bnStats.contains(name)) {
        if (!influences.contains(name)) {
          continue;
        }
        if (uses.getOrDefault(name, 0) == 1) {
          running.add(name);
        } else {
          excluded.put(name, "running statistics read by several nodes: not updated");
        }
        continue;
      }
      if (!influences.contains(name)) {
        excluded.put(name, "the output does not depend on it");
      } else if (!differentiable.contains(name)) {
        excluded.put(name, "used only where no gradient flows (a shape, bound, scale or index)");
      } else if (t.getDimsCount() == 0) {
        excluded.put(name, "a scalar constant");
      } else if (freeze != null && freeze.matcher(name).find()) {
        excluded.put(name, "frozen (matches --freeze '" + freeze.pattern() + "')");
      } else {
        trainable.add(name);
      }
    }
    return new Selection(trainable, running, excluded);
  }
}
