package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * The README's sample model: a small ResNet-style CNN for 32x32 images (about 0.18 M parameters,
 * about 0.7 MB). "input" [batch, 3, 32, 32] to "logits" [batch, 10]: a 3x3 stem conv (16) + BN +
 * ReLU, three stages of two basic residual blocks (widths 16, 32, 64; the first block of stages 2 and
 * 3 halves the resolution and its shortcut is a 1x1 conv + BN), global average pool, flatten and a
 * Gemm classifier (transB=1, bias). Batch norm is unfolded by default.
 */
public final class SampleResNet {
  public static final String NAME = "sample-resnet";
  public static final String DESCRIPTION =
      "small ResNet for 32x32x3 images: stem + 3 stages x 2 basic blocks (16/32/64), 10 classes";
  private static final int[] WIDTHS = {16, 32, 64};
  private static final int BLOCKS_PER_STAGE = 2;

  private SampleResNet() {}

  /**
   * Builds the model with the given options (seed, classes, width, in-channels, image size, BN, data
   * type).
   */
  public static Onnx.ModelProto build(ModelOptions o) {
    ModelBuilder m = new ModelBuilder("sample_resnet").seed(o.seed()).opset(o.opset())
        .docString(DESCRIPTION);
    GraphBuilder g = m.graph();
    ConvNorm norm = ConvNorm.of(o, false);
    int size = o.imageSizeOr(32);
    String x = g.input("input", o.dataType(), -1, o.inChannels(), size, size);
    g.scope("stem");
    x = g.relu(norm.apply(g, x, o.width(WIDTHS[0]), 3, 1, 1));
    for (int s = 0; s < WIDTHS.length; s++) {
      for (int b = 0; b < BLOCKS_PER_STAGE; b++) {
        g.scope("layer" + (s + 1) + "." + b);
        int stride = (s > 0 && b == 0) ? 2 : 1;
        x = ResNetBlocks.basic(g, norm, x, o.width(WIDTHS[s]), stride);
      }
    }
    g.scope("head");
    x = g.flatten(g.globalAveragePool(x));
    g.output(g.rename(g.gemm(x, o.classesOr(10), true), "logits"));
    return m.build();
  }
}
