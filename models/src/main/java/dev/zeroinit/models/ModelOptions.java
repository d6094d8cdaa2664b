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
 * @param imageSize height and width of the CNNs' square image input; 0 means the model's own
 *     default (32 for the CIFAR ResNets and the sample, 224 for ResNet-50)
 * @param layers number of Transformer blocks of the language model
 * @param dModel model (embedding) width of the language model
 * @param heads attention heads of the language model; must divide {@code dModel}
 * @param vocab vocabulary size of the language model (token ids 0 .. vocab-1)
 * @param seq sequence length of the language model (fixed: the positional table and the causal
 *     mask are [seq, ...])
 * @param tiedEmbeddings whether the language model's output head reuses the token embedding
 *     (through a Transpose) instead of having its own [dModel, vocab] matrix
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
    int opset,
    int imageSize,
    int layers,
    int dModel,
    int heads,
    int vocab,
    int seq,
    boolean tiedEmbeddings) {

  /**
   * Seed 0, model-default classes, folding and image size, width 1, 3 in-channels, batch norm on,
   * MLP n_h 1024, FLOAT, opset 17; language model with 2 layers, d_model 128, 4 heads, vocabulary
   * 1000, sequence 64, tied head.
   */
  public static final ModelOptions DEFAULTS = new ModelOptions(0, 0, 1.0, 3, true, null, 1024,
      DataType.FLOAT_VALUE, 17, 0, 2, 128, 4, 1000, 64, true);

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
    if (imageSize < 0) {
      throw new IllegalArgumentException(
          "image size must be positive (0 for the default): " + imageSize);
    }
    positive("layers", layers);
    positive("d-model", dModel);
    positive("heads", heads);
    positive("vocab", vocab);
    positive("seq", seq);
  }

  private static void positive(String what, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be positive: " + value);
    }
  }

  /** The first nine components; the language-model knobs and image size take their defaults. */
  public ModelOptions(long seed, int classes, double widthMultiplier, int inChannels,
      boolean batchNorm, Boolean foldBatchNorm, int hidden, int dataType, int opset) {
    this(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm, hidden, dataType,
        opset, 0, 2, 128, 4, 1000, 64, true);
  }

  public ModelOptions withSeed(long v) {
    return new ModelOptions(v, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withClasses(int v) {
    return new ModelOptions(seed, v, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withWidthMultiplier(double v) {
    return new ModelOptions(seed, classes, v, inChannels, batchNorm, foldBatchNorm, hidden,
        dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withInChannels(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, v, batchNorm, foldBatchNorm, hidden,
        dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withBatchNorm(boolean v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, v, foldBatchNorm, hidden,
        dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withFoldBatchNorm(Boolean v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, v, hidden,
        dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withHidden(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        v, dataType, opset, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withDataType(DataType v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, v.getNumber(), opset, imageSize, layers, dModel, heads, vocab, seq,
        tiedEmbeddings);
  }

  public ModelOptions withOpset(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, v, imageSize, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withImageSize(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, v, layers, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withLayers(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, v, dModel, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withDModel(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, v, heads, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withHeads(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, v, vocab, seq, tiedEmbeddings);
  }

  public ModelOptions withVocab(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, heads, v, seq, tiedEmbeddings);
  }

  public ModelOptions withSeq(int v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, heads, vocab, v, tiedEmbeddings);
  }

  public ModelOptions withTiedEmbeddings(boolean v) {
    return new ModelOptions(seed, classes, widthMultiplier, inChannels, batchNorm, foldBatchNorm,
        hidden, dataType, opset, imageSize, layers, dModel, heads, vocab, seq, v);
  }

  /** {@link #classes} or, when it is 0, the model's default. */
  public int classesOr(int modelDefault) {
    return classes == 0 ? modelDefault : classes;
  }

  /** {@link #foldBatchNorm} or, when it is null, the model's default. */
  public boolean foldBatchNormOr(boolean modelDefault) {
    return foldBatchNorm == null ? modelDefault : foldBatchNorm;
  }

  /** {@link #imageSize} or, when it is 0, the model's default. */
  public int imageSizeOr(int modelDefault) {
    return imageSize == 0 ? modelDefault : imageSize;
  }

  /** A channel width scaled by the width multiplier, rounded, at least 1. */
  public int width(int channels) {
    return (int) Math.max(1, Math.round(channels * widthMultiplier));
  }
}
