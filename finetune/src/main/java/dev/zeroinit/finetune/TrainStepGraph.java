package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One training step as one ONNX model, and its input/output contract. Run it once per batch and feed
 * every {@link #carried()} output back as the same-named input of the next step; the ONNX Runtime
 * output tensors can be passed as the next inputs without copying.
 *
 * <h2>Inputs</h2>
 * <ul>
 *   <li>the forward model's own inputs (the batch), with the batch size fixed when it was asked for;
 *   <li>{@code targets}: int64 class labels [N] (cross-entropy), int64 next tokens [B, S] (language
 *       model), or float targets of the output's shape (MSE);
 *   <li>{@code lr}: the learning rate of this step, a float scalar (shape []);
 *   <li>every trainable parameter {@code P}, under its initializer name in the forward model, which
 *       holds its starting value (see {@link #initialValue}; built with
 *       {@link TrainOptions#embedInitialValues()} the step model holds them too, as overridable
 *       defaults of these inputs);
 *   <li>optimizer state, zeros before the first step: {@code P.momentum} (SGD with momentum),
 *       {@code P.exp_avg} and {@code P.exp_avg_sq} (AdamW), each of P's shape and type;
 *       {@code step}: int64 scalar, the number of steps done so far (0 before the first);
 *   <li>BatchNormalization running statistics {@code R} (mean and variance), under their
 *       initializer names, starting from the forward model's values.
 * </ul>
 *
 * <h2>Outputs</h2>
 * <ul>
 *   <li>{@code loss}: float scalar, the batch's mean loss at the parameters fed in (before the update);
 *   <li>{@code correct}: int64 scalar, the batch's correct predictions (argmax = label; per token for
 *       the language model); absent for MSE;
 *   <li>{@code P.new}, {@code P.momentum.new}, {@code P.exp_avg.new}, {@code P.exp_avg_sq.new},
 *       {@code step.new} (step + 1), {@code R.new}: the values to feed as {@code P},
 *       {@code P.momentum}, ... of the next step;
 *   <li>{@code P.grad}, only when gradient outputs were asked for: the loss's gradient.
 * </ul>
 *
 * <p>BatchNormalization runs in training mode (batch statistics; running statistics updated with
 * PyTorch's momentum and unbiased variance); Dropout is the identity.
 */
public final class TrainStepGraph {
  /** What a carried value is. */
  public enum Role { PARAMETER, MOMENTUM, EXP_AVG, EXP_AVG_SQ, STEP, RUNNING_MEAN, RUNNING_VAR }

  /**
   * A value the step reads and writes back: feed output {@code output} of one step as input
   * {@code input} of the next.
   *
   * @param input the input's name
   * @param output the output's name ({@code input + ".new"})
   * @param role what it is
   * @param owner the parameter an optimizer state belongs to (the parameter itself for PARAMETER),
   *     null for the step count and running statistics
   * @param elemType ONNX element type
   * @param dims its dims
   */
  public record Carried(String input, String output, Role role, String owner, int elemType,
      long[] dims) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Carried c && c.input.equals(input) && c.output.equals(output)
          && c.role == role && java.util.Objects.equals(c.owner, owner) && c.elemType == elemType
          && Arrays.equals(c.dims, dims);
    }

    @Override
    public int hashCode() {
      return input.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
      return role + " " + input + " -> " + output + " " + Dims.toString(dims);
    }
  }

  private final Onnx.ModelProto model;
  private final List<String> batchInputs;
  private final String targets;
  private final String learningRate;
  private final String loss;
  private final String correct;
  private final List<Carried> carried;
  private final List<String> parameters;
  private final Map<String, String> gradients;
  private final Map<String, String> excluded;
  private final Map<String, Onnx.TensorProto> initial;

  TrainStepGraph(Onnx.ModelProto model, List<String> batchInputs, String targets,
      String learningRate, String loss, String correct, List<Carried> carried,
      List<String> parameters, Map<String, String> gradients, Map<String, String> excluded,
      Map<String, Onnx.TensorProto> initial) {
    this.model = model;
    this.batchInputs = List.copyOf(batchInputs);
    this.targets = targets;
    this.learningRate = learningRate;
    this.loss = loss;
    this.correct = correct;
    this.carried = List.copyOf(carried);
    this.parameters = List.copyOf(parameters);
    this.gradients = Map.copyOf(gradients);
    this.excluded = Map.copyOf(excluded);
    this.initial = Map.copyOf(initial);
  }

  /** The step model. */
  public Onnx.ModelProto model() {
    return model;
  }

  /** The forward model's inputs, fed with each batch. */
  public List<String> batchInputs() {
    return batchInputs;
  }

  /** The targets input. */
  public String targetsInput() {
    return targets;
  }

  /** The learning-rate input (float scalar). */
  public String learningRateInput() {
    return learningRate;
  }

  /** The loss output (float scalar). */
  public String lossOutput() {
    return loss;
  }

  /** The correct-prediction count output (int64 scalar), absent for MSE. */
  public Optional<String> correctOutput() {
    return Optional.ofNullable(correct);
  }

  /** Every value fed back from one step to the next, parameters first. */
  public List<Carried> carried() {
    return carried;
  }

  /** The trainable parameters, in the forward model's initializer order. */
  public List<String> parameters() {
    return parameters;
  }

  /** Parameter name to gradient output name; empty unless gradient outputs were asked for. */
  public Map<String, String> gradientOutputs() {
    return gradients;
  }

  /** Float initializers that are not trained, with the reason. */
  public Map<String, String> excluded() {
    return excluded;
  }

  /**
   * The value of a carried input before the first step: the forward model's tensor for parameters
   * and running statistics (as stored there, possibly as an external-data reference), zeros for
   * optimizer state, 0 for the step count.
   */
  public Onnx.TensorProto initialValue(Carried c) {
    Onnx.TensorProto t = initial.get(c.input());
    if (t != null) {
      return t;
    }
    if (c.role() == Role.STEP) {
      return Tensors.int64(c.input(), new long[0], new long[] {0});
    }
    long n = Tensors.elementCount(c.dims());
    return Tensors.of(c.input(), c.elemType(), c.dims(), new float[Math.toIntExact(n)]);
  }

  /** A one-line description: parameter count and optimizer state. */
  public String summary() {
    long count = 0;
    for (Carried c : carried) {
      if (c.role() == Role.PARAMETER) {
        count += Tensors.elementCount(c.dims());
      }
    }
    return parameters.size() + " trainable tensors (" + count + " values), "
        + (carried.size() - parameters.size()) + " state tensors, "
        + excluded.size() + " not trained";
  }
}
