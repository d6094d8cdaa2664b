package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradient checks (see {@link GradCheck}) of Conv in 1, 2 and 3 spatial dims: strides, symmetric and
 * asymmetric pads, auto_pad, dilations, groups, depthwise, 1x1 and even kernels, with and without
 * bias. Float32: ONNX Runtime's CPU provider has no float64 Conv.
 */
class ConvGradientTest {

  private static DynamicTest conv(String label, long[] x, long[] w, boolean bias,
      Onnx.AttributeProto... attrs) {
    return DynamicTest.dynamicTest(label, () -> {
      GradCheck c = GradCheck.f32("conv " + label);
      c.input("x", x, c.uniform()).input("w", w, c.uniform());
      if (bias) {
        c.input("b", d(w[0]), c.uniform());
      }
      c.node("Conv", "y", bias ? new String[] {"x", "w", "b"} : new String[] {"x", "w"}, attrs)
          .output("y").check();
    });
  }

  @TestFactory
  Stream<DynamicTest> conv2d() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(conv("3x3 pad 1", d(2, 3, 5, 5), d(4, 3, 3, 3), true, Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("3x3 stride 2 pad 1", d(2, 3, 6, 7), d(4, 3, 3, 3), true,
        Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("3x3 stride 2 no pad, odd leftover", d(1, 2, 8, 7), d(3, 2, 3, 3), false,
        Attr.ints("strides", 2, 2)));
    t.add(conv("3x3 dilation 2 pad 2", d(2, 2, 7, 6), d(3, 2, 3, 3), false,
        Attr.ints("dilations", 2, 2), Attr.ints("pads", 2, 2, 2, 2)));
    t.add(conv("asymmetric pads, stride (1, 2)", d(1, 2, 5, 6), d(3, 2, 3, 2), true,
        Attr.ints("pads", 0, 1, 2, 0), Attr.ints("strides", 1, 2)));
    t.add(conv("groups 2", d(2, 4, 5, 5), d(6, 2, 3, 3), true, Attr.i("group", 2),
        Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("depthwise, multiplier 2, stride 2", d(2, 3, 6, 6), d(6, 1, 3, 3), true,
        Attr.i("group", 3), Attr.ints("pads", 1, 1, 1, 1), Attr.ints("strides", 2, 2)));
    t.add(conv("depthwise 3x3", d(1, 4, 5, 5), d(4, 1, 3, 3), false, Attr.i("group", 4),
        Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("1x1 stride 1", d(2, 3, 4, 4), d(5, 3, 1, 1), true));
    t.add(conv("1x1 stride 2", d(2, 3, 5, 5), d(5, 3, 1, 1), false, Attr.ints("strides", 2, 2)));
    t.add(conv("2x2 stride 2 (even kernel)", d(1, 2, 6, 6), d(3, 2, 2, 2), true,
        Attr.ints("strides", 2, 2)));
    t.add(conv("auto_pad SAME_UPPER stride 2", d(1, 2, 7, 6), d(3, 2, 3, 3), false,
        Attr.s("auto_pad", "SAME_UPPER"), Attr.ints("strides", 2, 2)));
    t.add(conv("auto_pad SAME_LOWER even kernel", d(1, 2, 5, 5), d(2, 2, 2, 2), false,
        Attr.s("auto_pad", "SAME_LOWER")));
    t.add(conv("auto_pad VALID", d(1, 2, 5, 6), d(2, 2, 3, 3), true,
        Attr.s("auto_pad", "VALID")));
    t.add(conv("kernel_shape given, no pads attribute", d(1, 2, 5, 5), d(3, 2, 3, 3), false,
        Attr.ints("kernel_shape", 3, 3)));
    // few output positions, a large weight: the weight gradient as one GEMM over (batch, position)
    t.add(conv("3x3 pad 1 on 2x2, 16 channels (one GEMM)", d(2, 16, 2, 2), d(16, 16, 3, 3), true,
        Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("3x3 stride 2 pad 1 to 2x2 (one GEMM)", d(3, 8, 4, 4), d(8, 8, 3, 3), false,
        Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1)));
    t.add(conv("groups 2 to 1x1 (one GEMM)", d(2, 8, 3, 3), d(8, 4, 3, 3), true,
        Attr.i("group", 2)));
    t.add(conv("3x3 dilation 2 to 1x1 (one GEMM)", d(2, 8, 5, 5), d(8, 8, 3, 3), false,
        Attr.ints("dilations", 2, 2)));
    t.add(conv("1x1 on 2x2, 16 channels (one GEMM, no patches)", d(2, 16, 2, 2), d(16, 16, 1, 1),
        false));
    t.add(conv("1x1 stride 2, 16 channels (one GEMM, strided patches)", d(2, 16, 4, 4),
        d(16, 16, 1, 1), false, Attr.ints("strides", 2, 2)));
    return t.stream();
  }

  /** Which of the two weight-gradient products is written, by the data each moves. */
  @Test
  void weightGradientProductFollowsTheSizes() {
    // the first CIFAR ResNet stage (32 channels, 32x32) per sample, the last (256, 4x4) as one GEMM
    assertFalse(ConvWeightGradient.oneGemmCheaper(32 * 9, 32, 32 * 32));
    assertTrue(ConvWeightGradient.oneGemmCheaper(256 * 9, 256, 4 * 4));
    GradCheck small = GradCheck.f32("one GEMM structure");
    small.input("x", d(2, 16, 2, 2), small.uniform()).input("w", d(16, 16, 3, 3), small.uniform())
        .node("Conv", "y", new String[] {"x", "w"}, Attr.ints("pads", 1, 1, 1, 1)).output("y");
    List<Onnx.NodeProto> nodes = small.gradientModel().getGraph().getNodeList();
    List<String> products = nodes.stream().filter(n -> n.getOpType().equals("MatMul"))
        .map(n -> n.getOutput(0)).toList();
    assertTrue(products.size() == 1, "one MatMul: " + products);
    assertFalse(nodes.stream().anyMatch(n -> n.getOpType().equals("ReduceSum")
        && products.contains(n.getInput(0))), "no per-sample products summed over the batch");
  }

  @TestFactory
  Stream<DynamicTest> conv1dAnd3d() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(conv("1-D k3 pad 1", d(2, 3, 9), d(4, 3, 3), true, Attr.ints("pads", 1, 1)));
    t.add(conv("1-D k3 stride 2 dilation 2", d(2, 2, 11), d(3, 2, 3), false,
        Attr.ints("strides", 2), Attr.ints("dilations", 2)));
    t.add(conv("1-D depthwise", d(1, 3, 8), d(3, 1, 5), true, Attr.i("group", 3),
        Attr.ints("pads", 2, 2)));
    t.add(conv("3-D k3 pad 1", d(1, 2, 4, 4, 3), d(3, 2, 3, 3, 3), true,
        Attr.ints("pads", 1, 1, 1, 1, 1, 1)));
    t.add(conv("3-D stride 2 groups 2", d(1, 4, 5, 4, 4), d(4, 2, 3, 2, 2), false,
        Attr.i("group", 2), Attr.ints("strides", 2, 2, 2), Attr.ints("pads", 1, 0, 1, 1, 1, 0)));
    t.add(conv("3-D k3 to 1x1x1 (one GEMM)", d(2, 4, 3, 3, 3), d(4, 4, 3, 3, 3), true));
    t.add(conv("1-D k3 pad 1 stride 2 on 3, 16 channels (one GEMM)", d(2, 16, 3), d(16, 16, 3),
        false, Attr.ints("pads", 1, 1), Attr.ints("strides", 2)));
    return t.stream();
  }

  private static DynamicTest convTranspose(String label, long[] x, long[] w, boolean bias,
      Onnx.AttributeProto... attrs) {
    return DynamicTest.dynamicTest("ConvTranspose " + label, () -> {
      GradCheck c = GradCheck.f32("convT " + label);
      c.input("x", x, c.uniform()).input("w", w, c.uniform());
      long group = 1;
      for (Onnx.AttributeProto a : attrs) {
        if (a.getName().equals("group")) {
          group = a.getI();
        }
      }
      if (bias) {
        c.input("b", d(w[1] * group), c.uniform());
      }
      c.node("ConvTranspose", "y", bias ? new String[] {"x", "w", "b"} : new String[] {"x", "w"},
          attrs).output("y").check();
    });
  }

  @TestFactory
  Stream<DynamicTest> convTranspose() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(convTranspose("4x4 stride 2 pad 1 (DCGAN)", d(2, 3, 3, 3), d(3, 2, 4, 4), true,
        Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1)));
    t.add(convTranspose("3x3 stride 2 output_padding 1 group 2", d(1, 4, 3, 2), d(4, 1, 3, 3),
        false, Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1),
        Attr.ints("output_padding", 1, 1), Attr.i("group", 2)));
    t.add(convTranspose("1-D dilation 2", d(2, 2, 5), d(2, 3, 3), true,
        Attr.ints("dilations", 2)));
    t.add(convTranspose("from 1x1 (generator input)", d(2, 4, 1, 1), d(4, 3, 4, 4), false));
    return t.stream();
  }
}
