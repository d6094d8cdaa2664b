package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * torchvision's ResNet-50 (v1.5) for 224x224 images, the benchmark's large model: 7x7 stride-2 stem
 * + max-pool, bottleneck stages [3, 4, 6, 3] of widths 64..512 (outputs 256..2048) with 1x1
 * downsampling shortcuts, global average pool and a 1000-class Gemm; about 25.6 M parameters,
 * about 102 MB in float32. By default batch norm is folded into the convs (Conv with bias, no
 * BatchNormalization nodes), as torchvision's eval-mode ONNX export writes it.
 */
public final class ResNet50 {
  public static final String NAME = "resnet50";
  public static final String DESCRIPTION =
      "torchvision ResNet-50 for 224x224x3, BN folded into conv bias, 1000 classes (~102 MB)";
  private static final int[] WIDTHS = {64, 128, 256, 512};
  private static final int[] BLOCKS = {3, 4, 6, 3};

  private ResNet50() {}

  /**
   * Builds the model with the given options (seed, classes, width, in-channels, image size, BN, data
   * type).
   */
  public static Onnx.ModelProto build(ModelOptions o) {
    ModelBuilder m = new ModelBuilder("resnet50").seed(o.seed()).opset(o.opset())
        .docString(DESCRIPTION);
    GraphBuilder g = m.graph();
    ConvNorm norm = ConvNorm.of(o, true);
    int size = o.imageSizeOr(224);
    String x = g.input("input", o.dataType(), -1, o.inChannels(), size, size);
    g.scope("stem");
    x = g.maxPool(g.relu(norm.apply(g, x, o.width(64), 7, 2, 3)), 3, 2, 1);
    for (int s = 0; s < WIDTHS.length; s++) {
      for (int b = 0; b < BLOCKS[s]; b++) {
        g.scope("layer" + (s + 1) + "." + b);
        int stride = (s > 0 && b == 0) ? 2 : 1;
        x = ResNetBlocks.bottleneck(g, norm, x, o.width(WIDTHS[s]), stride);
      }
    }
    g.scope("head");
    x = g.flatten(g.globalAveragePool(x));
    g.output(g.rename(g.gemm(x, o.classesOr(1000), true), "logits"));
    return m.build();
  }
}
