package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.GraphBuilder;

/** The residual blocks of the ResNet builders, as torchvision defines them. */
final class ResNetBlocks {
  private ResNetBlocks() {}

  /**
   * Basic block: conv3x3(stride)-norm-ReLU-conv3x3-norm, plus the input (through a 1x1 conv + norm
   * when the shape changes), then ReLU.
   */
  static String basic(GraphBuilder g, ConvNorm norm, String x, int outC, int stride) {
    String y = g.relu(norm.apply(g, x, outC, 3, stride, 1));
    y = norm.apply(g, y, outC, 3, 1, 1);
    return g.relu(g.add(y, shortcut(g, norm, x, outC, stride)));
  }

  /**
   * Bottleneck block (ResNet v1.5, stride on the 3x3): conv1x1-norm-ReLU-conv3x3(stride)-norm-ReLU-
   * conv1x1(4 x width)-norm, plus the shortcut, then ReLU.
   */
  static String bottleneck(GraphBuilder g, ConvNorm norm, String x, int width, int stride) {
    int outC = 4 * width;
    String y = g.relu(norm.apply(g, x, width, 1, 1, 0));
    y = g.relu(norm.apply(g, y, width, 3, stride, 1));
    y = norm.apply(g, y, outC, 1, 1, 0);
    return g.relu(g.add(y, shortcut(g, norm, x, outC, stride)));
  }

  private static String shortcut(GraphBuilder g, ConvNorm norm, String x, int outC, int stride) {
    if (stride == 1 && g.shapeOf(x)[1] == outC) {
      return x;
    }
    return norm.apply(g, x, outC, 1, stride, 0);
  }
}
