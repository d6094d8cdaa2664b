package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which gradients of a forward graph are exactly zero at its current values because some weights
 * are all zero, and which of those weights are to blame: the structural explanation the gradient
 * check ({@code verify --grad}) gives for an all-zero gradient. Pure graph logic; no values besides
 * "this tensor is all zero" are looked at.
 *
 * <p>Forward: a value is <em>zero</em> when it is one of the given zero weights, or an op makes it
 * zero from them whatever the input: a MatMul, Gemm, Conv, ConvTranspose or Mul with a zero factor
 * (and a bias that is absent or all zero); an Add, Sub or Sum of zeros; a batch, layer, instance or
 * group normalisation of a zero input with a zero (or no) bias (the step graph normalises with batch
 * statistics, so the normalised input is exactly 0); a ReLU, GELU, Tanh, reshaping, pooling, slicing
 * or reduction of a zero input.
 *
 * <p>Backward, from the output the loss reads: the gradient an op passes to one of its inputs is zero
 * when the gradients of all its outputs are, or when the factor it multiplies that input's gradient by
 * is zero: the other operand of a MatMul, Gemm, Conv, ConvTranspose or Mul; the mask of a ReLU whose
 * input is zero (the step graph's ReLU derivative is 0 at 0); the normalised input, for the scale of a
 * normalisation whose input is zero. A value's gradient is zero when every use of it passes a zero
 * gradient. Every other op is assumed to pass a gradient on, so an explanation is never claimed where
 * the graph does not prove it.
 */
public final class ZeroGradients {
  private static final Set<String> PRODUCTS = Set.of("MatMul", "Gemm", "Conv", "ConvTranspose", "Mul");
  private static final Set<String> BIASED = Set.of("Gemm", "Conv", "ConvTranspose");
  private static final Set<String> NORMS = Set.of("BatchNormalization", "LayerNormalization",
      "InstanceNormalization", "GroupNormalization");
  private static final Set<String> SUMS = Set.of("Add", "Sub", "Sum");
  /** Ops whose first output is zero when their first input is. */
  private static final Set<String> ZERO_PRESERVING = Set.of("Relu", "LeakyRelu", "Gelu", "Tanh", "Erf",
      "Neg", "Abs", "HardSwish", "Identity", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze",
      "Cast", "Dropout", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean",
      "ReduceSum", "Slice", "Expand", "Tile", "Gather", "Split", "Concat");

  /** How a zero gradient comes about. */
  public enum Cause {
    /** Every path from the tensor to the loss passes a product with a zero factor. */
    PATH,
    /** The tensor itself multiplies (or scales the normalisation of) a tensor that is zero. */
    INPUT
  }

  /**
   * Why a gradient is zero.
   *
   * @param weights the zero weights responsible, sorted
   * @param causes how, sorted
   */
  public record Explanation(Set<String> weights, Set<Cause> causes) {
    public Explanation {
      weights = Collections.unmodifiableSet(new TreeSet<>(weights));
      causes = Collections.unmodifiableSet(new TreeSet<>(causes));
    }
  }

  /** A gradient that flows (may be non-zero); other values are blocked (a set) or unreached (absent). */
  private static final Set<String> FLOWS = Set.of("\u0000flows");

  private final Set<String> zeroWeights;
  private final Predicate<String> zeroConstant;
  private final Map<String, Set<String>> zeroOf = new HashMap<>();
  private final Map<String, Set<String>> grad = new HashMap<>();
  private final Map<String, List<Use>> uses = new HashMap<>();

  private record Use(Onnx.NodeProto node, int slot) { }

  private String output;

  private ZeroGradients(Set<String> zeroWeights, Predicate<String> zeroConstant) {
    this.zeroWeights = zeroWeights;
    this.zeroConstant = zeroConstant;
  }

  /**
   * The tensors of {@code tensors} whose gradient is structurally zero, with the explanation.
   *
   * @param graph the forward graph (its main graph)
   * @param output the output the loss reads
   * @param zeroWeights initializers that are all zero and count as explanations
   * @param zeroConstant tells whether an initializer is all zero (asked for biases)
   * @param tensors the tensors to explain (the trainable parameters)
   */
  public static Map<String, Explanation> explain(Onnx.GraphProto graph, String output, Set<String> zeroWeights,
      Predicate<String> zeroConstant, List<String> tensors) {
    ZeroGradients z = new ZeroGradients(Set.copyOf(zeroWeights), zeroConstant);
    List<Onnx.NodeProto> order = Backprop.topologicalOrder(graph.getNodeList(), new HashSet<>());
    z.forward(order);
    z.backward(order, output);
    Map<String, Explanation> out = new LinkedHashMap<>();
    for (String t : tensors) {
      Explanation e = z.explanation(t);
      if (e != null) {
        out.put(t, e);
      }
    }
    return out;
  }

  private void forward(List<Onnx.NodeProto> order) {
    for (String w : zeroWeights) {
      zeroOf.put(w, Set.of(w));
    }
    for (Onnx.NodeProto n : order) {
      for (int k = 0; k < n.getInputCount(); k++) {
        if (!n.getInput(k).isEmpty()) {
          uses.computeIfAbsent(n.getInput(k), x -> new ArrayList<>()).add(new Use(n, k));
        }
      }
      for (String in : NodeAttrs.implicitInputs(n)) {
        uses.computeIfAbsent(in, x -> new ArrayList<>()).add(new Use(n, -1));
      }
      if (!isOnnx(n)) {
        continue;
      }
      Set<String> origin = zeroOutput(n);
      if (origin == null) {
        continue;
      }
      int outputs = n.getOpType().equals("Split") ? n.getOutputCount() : Math.min(1, n.getOutputCount());
      for (int i = 0; i < outputs; i++) {
        if (!n.getOutput(i).isEmpty()) {
          zeroOf.put(n.getOutput(i), origin);
        }
      }
    }
  }

  /** The zero weights the node's output is zero because of, or null when it is not known to be zero. */
  private Set<String> zeroOutput(Onnx.NodeProto n) {
    String op = n.getOpType();
    if (PRODUCTS.contains(op)) {
      Set<String> a = zero(NodeAttrs.input(n, 0));
      Set<String> b = zero(NodeAttrs.input(n, 1));
      Set<String> factor = a != null ? a : b;
      if (factor == null) {
        return null;
      }
      if (BIASED.contains(op) && !zeroOrAbsent(NodeAttrs.input(n, 2))) {
        return null;
      }
      return factor;
    }
    if (NORMS.contains(op)) {
      Set<String> x = zero(NodeAttrs.input(n, 0));
      return x != null && zeroOrAbsent(NodeAttrs.input(n, 2)) ? x : null;
    }
    if (SUMS.contains(op)) {
      Set<String> origin = new TreeSet<>();
      for (String in : n.getInputList()) {
        Set<String> z = zero(in);
        if (z != null) {
          origin.addAll(z);
        } else if (in.isEmpty() || !zeroConstant.test(in)) {
          return null;
        }
      }
      return origin.isEmpty() ? null : origin;
    }
    if (op.equals("Concat")) {
      Set<String> origin = new TreeSet<>();
      for (String in : n.getInputList()) {
        Set<String> z = zero(in);
        if (z == null) {
          return null;
        }
        origin.addAll(z);
      }
      return origin.isEmpty() ? null : origin;
    }
    if (ZERO_PRESERVING.contains(op)) {
      return zero(NodeAttrs.input(n, 0));
    }
    return null;
  }

  private Set<String> zero(String value) {
    return value.isEmpty() ? null : zeroOf.get(value);
  }

  private boolean zeroOrAbsent(String value) {
    return value.isEmpty() || zeroOf.containsKey(value) || zeroConstant.test(value);
  }

  private void backward(List<Onnx.NodeProto> order, String lossInput) {
    this.output = lossInput;
    grad.put(output, FLOWS);
    for (int i = order.size() - 1; i >= 0; i--) {
      for (String o : order.get(i).getOutputList()) {
        if (!o.isEmpty() && !o.equals(output)) {
          Set<String> g = combine(o, null);
          if (g != null) {
            grad.put(o, g);
          }
        }
      }
    }
  }

  /**
   * The gradient state of {@code value} from its uses: FLOWS, a set of blaming weights, or null when
   * no use leads to the loss; {@code causes}, when given, collects how each blocked use blocks it.
   */
  private Set<String> combine(String value, Set<Cause> causes) {
    if (value.equals(output)) {
      return FLOWS;
    }
    Set<String> blame = null;
    for (Use u : uses.getOrDefault(value, List.of())) {
      boolean anyFlows = false;
      Set<String> outBlame = null;
      for (String o : u.node().getOutputList()) {
        Set<String> g = o.isEmpty() ? null : grad.get(o);
        if (g == FLOWS) {
          anyFlows = true;
        } else if (g != null) {
          outBlame = union(outBlame, g);
        }
      }
      Set<String> contribution;
      Cause cause;
      if (anyFlows) {
        contribution = u.slot() < 0 || !isOnnx(u.node()) ? null : factorBlame(u.node(), u.slot());
        if (contribution == null) {
          return FLOWS;
        }
        cause = Cause.INPUT;
      } else if (outBlame != null) {
        contribution = outBlame;
        cause = Cause.PATH;
      } else {
        continue;
      }
      blame = union(blame, contribution);
      if (causes != null) {
        causes.add(cause);
      }
    }
    return blame;
  }

  /** The zero weights that make the factor of this input's gradient zero, or null. */
  private Set<String> factorBlame(Onnx.NodeProto n, int slot) {
    String op = n.getOpType();
    if (PRODUCTS.contains(op) && slot <= 1) {
      return zero(NodeAttrs.input(n, 1 - slot));
    }
    if (op.equals("Relu") && slot == 0) {
      return zero(NodeAttrs.input(n, 0));
    }
    if (NORMS.contains(op) && slot == 1) {
      return zero(NodeAttrs.input(n, 0));
    }
    return null;
  }

  private Explanation explanation(String tensor) {
    Set<Cause> causes = new TreeSet<>();
    Set<String> blame = combine(tensor, causes);
    if (blame == null || blame == FLOWS || blame.isEmpty()) {
      return null;
    }
    return new Explanation(blame, causes);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    if (a == null) {
      return b;
    }
    Set<String> u = new TreeSet<>(a);
    u.addAll(b);
    return u;
  }

  private static boolean isOnnx(Onnx.NodeProto n) {
    return n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
  }
}
