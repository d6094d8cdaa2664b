package dev.zeroinit.finetune;

import java.util.regex.Pattern;

/**
 * What shapes a training-step graph.
 *
 * @param loss the loss the step minimises
 * @param optimizer the update written into the graph
 * @param freeze initializers whose name this pattern finds (anywhere in the name) stay constants of
 *     the step graph instead of being trained; null trains every parameter
 * @param batchSize the batch size fixed into the graph's inputs (their first dim, where symbolic),
 *     so that every shape is static and ONNX Runtime runs fixed-size kernels; 0 keeps it symbolic
 * @param output the forward graph's output the loss reads (logits or prediction); null for the first
 * @param gradientOutputs whether the graph also outputs each parameter's gradient ({@code P.grad})
 * @param embedInitialValues whether the model also holds the starting values of the parameters and
 *     running statistics as initializers of the same-named inputs (overridable defaults, so that
 *     runtimes that accept them, such as ONNX Runtime for Python, can start without feeding them);
 *     ONNX Runtime's Java API rejects such inputs, so the default is off
 */
public record TrainOptions(LossKind loss, OptimizerConfig optimizer, Pattern freeze, long batchSize,
    String output, boolean gradientOutputs, boolean embedInitialValues) {

  public TrainOptions {
    if (loss == null || optimizer == null) {
      throw new IllegalArgumentException("a loss and an optimizer are required");
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("batch size must be positive (0 keeps it symbolic): "
          + batchSize);
    }
  }

  /** Cross-entropy, plain SGD, nothing frozen, symbolic batch, the first output, no gradients out. */
  public static TrainOptions defaults() {
    return new TrainOptions(LossKind.CROSS_ENTROPY, OptimizerConfig.sgd(), null, 0, null, false,
        false);
  }

  public TrainOptions withLoss(LossKind v) {
    return new TrainOptions(v, optimizer, freeze, batchSize, output, gradientOutputs,
        embedInitialValues);
  }

  public TrainOptions withOptimizer(OptimizerConfig v) {
    return new TrainOptions(loss, v, freeze, batchSize, output, gradientOutputs,
        embedInitialValues);
  }

  public TrainOptions withFreeze(Pattern v) {
    return new TrainOptions(loss, optimizer, v, batchSize, output, gradientOutputs,
        embedInitialValues);
  }

  public TrainOptions withBatchSize(long v) {
    return new TrainOptions(loss, optimizer, freeze, v, output, gradientOutputs,
        embedInitialValues);
  }

  public TrainOptions withOutput(String v) {
    return new TrainOptions(loss, optimizer, freeze, batchSize, v, gradientOutputs,
        embedInitialValues);
  }

  public TrainOptions withEmbedInitialValues(boolean v) {
    return new TrainOptions(loss, optimizer, freeze, batchSize, output, gradientOutputs, v);
  }

  public TrainOptions withGradientOutputs(boolean v) {
    return new TrainOptions(loss, optimizer, freeze, batchSize, output, v,
        embedInitialValues);
  }
}
