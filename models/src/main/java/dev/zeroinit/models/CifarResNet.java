package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;

/**
 * ResNet-18 and ResNet-34 for small images (He et al. 2016, the common CIFAR-10 adaptation, "option
 * B" shortcuts), as the ZerO paper trains them: "input" [batch, C, S, S] (C = in-channels, default 3;
 * S = image size, default 32) to "logits" [batch, classes]. A 3x3 stride-1 stem conv (64) + BN +
 * ReLU and no max-pool; four stages of basic blocks ([2, 2, 2, 2] or [3, 4, 6, 3]) of widths 64,
 * 128, 256, 512, where the first conv of stages 2-4 has stride 2 and that block's shortcut is a 1x1
 * stride-2 conv + BN; global average pool, flatten and a Gemm classifier (transB=1, bias). Each block
 * ends in {@code Relu(Add(branch, skip))}, the branch being conv-BN-ReLU-conv-BN.
 *
 * <p>Batch norm stays as BatchNormalization nodes by default (these models are for training); with
 * 10 classes ResNet-18 has 11,173,962 trainable parameters (BN scale and bias counted, running
 * statistics not) and ResNet-34 21,282,122. Without batch norm every conv has a bias instead.
 */
public final class CifarResNet {
  public static final String RESNET18 = "resnet18";
  public static final String RESNET34 = "resnet34";
  public static final String DESCRIPTION_18 =
      "ResNet-18 for 32x32 images (CIFAR variant: 3x3 stem, no max-pool), BN unfolded, 10 classes"
          + " (~11.2 M parameters)";
  public static final String DESCRIPTION_34 =
      "ResNet-34 for 32x32 images (CIFAR variant: 3x3 stem, no max-pool), BN unfolded, 10 classes"
          + " (~21.3 M parameters)";
  /** The default image size (CIFAR). */
  public static final int IMAGE_SIZE = 32;
  private static final int[] WIDTHS = {64, 128, 256, 512};
  private static final int[] BLOCKS_18 = {2, 2, 2, 2};
  private static final int[] BLOCKS_34 = {3, 4, 6, 3};

  private CifarResNet() {}

  /** ResNet-18 with the given options (seed, classes, width, in-channels, image size, BN, type). */
  public static Onnx.ModelProto resnet18(ModelOptions o) {
    return build(RESNET18, DESCRIPTION_18, BLOCKS_18, o);
  }

  /** ResNet-34 with the given options (seed, classes, width, in-channels, image size, BN, type). */
  public static Onnx.ModelProto resnet34(ModelOptions o) {
    return build(RESNET34, DESCRIPTION_34, BLOCKS_34, o);
  }

  private static Onnx.ModelProto build(String name, String description, int[] blocks,
      ModelOptions o) {
    ModelBuilder m = new ModelBuilder(name).seed(o.seed()).opset(o.opset()).docString(description);
    GraphBuilder g = m.graph();
    ConvNorm norm = ConvNorm.of(o, false);
    int size = o.imageSizeOr(IMAGE_SIZE);
    String x = g.input("input", o.dataType(), -1, o.inChannels(), size, size);
    g.scope("stem");
    x = g.relu(norm.apply(g, x, o.width(WIDTHS[0]), 3, 1, 1));
    for (int s = 0; s < WIDTHS.length; s++) {
      for (int b = 0; b < blocks[s]; b++) {
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
