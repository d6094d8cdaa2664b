package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;

/**
 * How the CNN builders normalize after a conv: Conv + BatchNormalization, the pair folded into one
 * Conv with bias, or no normalization (Conv with bias).
 */
enum ConvNorm {
  BATCH_NORM,
  FOLDED,
  NONE;

  /** The mode the options ask for, given the model's default for folding. */
  static ConvNorm of(ModelOptions options, boolean foldByDefault) {
    if (!options.batchNorm()) {
      return NONE;
    }
    return options.foldBatchNormOr(foldByDefault) ? FOLDED : BATCH_NORM;
  }

  /** A square conv with symmetric padding followed by this normalization. */
  String apply(GraphBuilder g, String x, int outC, int kernel, int stride, int pad) {
    return switch (this) {
      case BATCH_NORM -> g.convBn(x, outC, kernel, stride, pad, 1, false);
      case FOLDED -> g.convBn(x, outC, kernel, stride, pad, 1, true);
      case NONE -> g.conv(x, outC, kernel, stride, pad, 1, true);
    };
  }
}
