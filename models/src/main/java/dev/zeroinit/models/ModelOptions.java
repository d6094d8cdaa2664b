package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;

/**
 * The knobs of a catalog model. Every model reads the ones that make sense for it (see
 * {@link ModelCatalog}); the rest are ignored. Immutable: change a copy with the {@code with...}
 * methods, starting from {@link #DEFAULTS}.
 *
 * @param seed seed of the weights' random streams; same seed, same bytes
 * @param classes number of output classes; 0 means the model's own default
 * @param widthMultiplier factor on every channel width of the CNNs (rounded, at least 1)
 * @param inChannels channels of the image input of the CNNs
 * @param batchNorm whether the CNNs normalize after each conv; without it each conv has a bias
 * @param foldBatchNorm whether BatchNormalization is folded into the conv's weight and bias, as
 *     PyTorch's eval-mode export writes it; null means the model's own default
 * @param hidden the hidden width n_h of the MLP
 * @param dataType element type of inputs, weights and outputs (FLOAT, FLOAT16, BFLOAT16, DOUBLE)
 * @param opset the ai.onnx opset version written
 */
public record ModelOptions(
    long seed,
    int classes,
    double widthMultiplier,
    int inChannels,
    boolean batchNorm,
    Boolean foldBatchNorm,
    int hidden,
    int dataType,
    int opset) {

  /** Seed 0, model-default classes and folding, width 1, 3 in-channels, batch norm on, FLOAT. */
  public static final ModelOptions DEFAULTS =
      new ModelOptions(0, 0, 1.0, 3, true, null, 1024, DataType.FLOAT_VALUE, 17);

  public ModelOptions {
    if (classes < 0) {
      throw new IllegalArgumentException("classes must be positive (0 for the default): " + classes);
    }
    if (!(widthMultiplier > 0) || Double.isInfinite(widthMultiplier)) {
      throw new IllegalArgumentException("width multiplier must be positive: " + widthMultiplier);
    }
    if (inChannels < 1 || hidden < 1) {
      throw new IllegalArgumentException("in-channels and hidden must be positive");
    }
    if (!Tensors.isSupportedFloatType(dataType)) {
      throw new IllegalArgumentException("unsupported data type " + Tensors.typeName(dataType));
    }
    if (opset < 1) {
      throw new IllegalArgumentException("opset must be positive: " + opset);
    }
  }

  public ModelOptions withSeed(long v) {
    return new ModelOptions(v, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset);
  }

  public ModelOptions withClasses(int v) {
    return new ModelOptions(seed, v, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset);
  }

  public ModelOptions withWidthMultiplier(double v) {
    return new ModelOptions(seed, classes, v, inChannels, batchNorm, foldBatchNorm, hidden,
        dataType, opset);
  }

  public ModelOptions withInChannels(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, v, batchNorm, foldBatchNorm, hidden,
        dataType, opset);
  }

  public ModelOptions withBatchNorm(boolean v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, v, foldBatchNorm, hidden,
        dataType, opset);
  }

  public ModelOptions withFoldBatchNorm(Boolean v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, v, hidden,
        dataType, opset);
  }

  public ModelOptions withHidden(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        v, dataType, opset);
  }

  public ModelOptions withDataType(DataType v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, v.getNumber(), opset);
  }

  public ModelOptions withOpset(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, v);
  }

  /** {@link #classes} or, when it is 0, the model's default. */
  public int classesOr(int modelDefault) {
    return classes == 0 ? modelDefault : classes;
  }

  /** {@link #foldBatchNorm} or, when it is null, the model's default. */
  public boolean foldBatchNormOr(boolean modelDefault) {
    return foldBatchNorm == null ? modelDefault : foldBatchNorm;
  }

  /** A channel width scaled by the width multiplier, rounded, at least 1. */
  public int width(int channels) {
    return (int) Math.max(1, Math.round(channels * widthMultiplier));
  }
}
