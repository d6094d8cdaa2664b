package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradient checks (see {@link GradCheck}) of BatchNormalization in training mode (the reference is
 * ONNX Runtime's own training-mode kernel, batch statistics), LayerNormalization (the op and the
 * ReduceMean/Sub/Pow/Sqrt/Div form exporters write), MaxPool, AveragePool and GlobalAveragePool.
 * Float32 where ONNX Runtime's CPU provider has no float64 kernel: LayerNormalization, AveragePool,
 * GlobalAveragePool (and MaxPool except one case, to keep its Indices path in the common type).
 */
class NormPoolGradientTest {

  private static DynamicTest batchNorm(String label, long[] x, float eps, boolean f64) {
    return DynamicTest.dynamicTest("BatchNormalization " + label, () -> {
      GradCheck c = f64 ? GradCheck.f64("bn " + label) : GradCheck.f32("bn " + label);
      long ch = x[1];
      c.input("x", x, c.uniform()).input("scale", d(ch), c.range(0.5, 1.5))
          .input("bias", d(ch), c.uniform())
          .constantInput("mean", d(ch), c.uniform()).constantInput("var", d(ch), c.positive())
          .node("BatchNormalization", new String[] {"x", "scale", "bias", "mean", "var"},
              new String[] {"y", "running_mean", "running_var"}, Attr.f("epsilon", eps),
              Attr.i("training_mode", 1))
          .output("y").check();
    });
  }

  @TestFactory
  Stream<DynamicTest> batchNormalization() {
    return Stream.of(
        batchNorm("[4, 3, 3, 3]", d(4, 3, 3, 3), 1e-5f, true),
        batchNorm("[4, 3, 3, 3] float32", d(4, 3, 3, 3), 1e-5f, false),
        batchNorm("[6, 3] (no spatial dims)", d(6, 3), 1e-5f, true),
        batchNorm("[3, 2, 5] 1-D, eps 1e-3", d(3, 2, 5), 1e-3f, true),
        batchNorm("[2, 2, 2, 3, 2] 3-D", d(2, 2, 2, 3, 2), 1e-5f, true));
  }

  @TestFactory
  Stream<DynamicTest> layerNormalization() {
    List<DynamicTest> t = new ArrayList<>();
    for (long axis : new long[] {-1, 1}) {
      {
        String label = "LayerNormalization axis " + axis + " (float32: no float64 kernel)";
        t.add(DynamicTest.dynamicTest(label, () -> {
          GradCheck c = GradCheck.f32(label);
          long[] norm = axis == -1 ? d(5) : d(3, 5);
          c.input("x", d(2, 3, 5), c.uniform()).input("s", norm, c.range(0.5, 1.5))
              .input("b", norm, c.uniform())
              .node("LayerNormalization", "y", new String[] {"x", "s", "b"},
                  Attr.i("axis", axis), Attr.f("epsilon", 1e-5f))
              .output("y").check();
        }));
      }
    }
    t.add(DynamicTest.dynamicTest("LayerNormalization without bias", () -> {
      GradCheck c = GradCheck.f32("ln no bias");
      c.input("x", d(4, 6), c.uniform()).input("s", d(6), c.range(0.5, 1.5))
          .node("LayerNormalization", "y", new String[] {"x", "s"})
          .output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("LayerNorm written out (ReduceMean, Sub, Pow, Sqrt, Div)", () -> {
      GradCheck c = GradCheck.f64("ln decomposed");
      c.input("x", d(2, 3, 5), c.uniform()).input("s", d(5), c.range(0.5, 1.5))
          .input("b", d(5), c.uniform()).floats("two", d(), 2).floats("eps", d(), 1e-5)
          .node("ReduceMean", "m", new String[] {"x"}, Attr.ints("axes", -1))
          .node("Sub", "xc", new String[] {"x", "m"})
          .node("Pow", "sq", new String[] {"xc", "two"})
          .node("ReduceMean", "v", new String[] {"sq"}, Attr.ints("axes", -1))
          .node("Add", "ve", new String[] {"v", "eps"})
          .node("Sqrt", "sd", new String[] {"ve"})
          .node("Div", "n", new String[] {"xc", "sd"})
          .node("Mul", "ns", new String[] {"n", "s"})
          .node("Add", "y", new String[] {"ns", "b"})
          .output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("LayerNorm written out at opset 18 (axes as input)", () -> {
      GradCheck c = GradCheck.f64("ln decomposed 18").opset(18);
      c.input("x", d(3, 4), c.uniform()).ints("ax", -1)
          .node("ReduceMean", "m", new String[] {"x", "ax"})
          .node("Sub", "xc", new String[] {"x", "m"})
          .node("Mul", "sq", new String[] {"xc", "xc"})
          .node("ReduceMean", "v", new String[] {"sq", "ax"}, Attr.i("keepdims", 1))
          .node("Sqrt", "sd", new String[] {"v"})
          .node("Div", "y", new String[] {"xc", "sd"})
          .output("y").check();
    }));
    return t.stream();
  }

  private static DynamicTest pool(String op, String label, long[] x, boolean f64,
      Onnx.AttributeProto... attrs) {
    return DynamicTest.dynamicTest(op + " " + label, () -> {
      GradCheck c = f64 ? GradCheck.f64(op + label) : GradCheck.f32(op + label);
      int n = (int) dev.zeroinit.onnxio.build.Tensors.elementCount(x);
      c.input("x", x, op.equals("MaxPool") ? c.distinct(n) : c.uniformArray(n))
          .node(op, "y", new String[] {"x"}, attrs).output("y").check();
    });
  }

  @TestFactory
  Stream<DynamicTest> pooling() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(pool("MaxPool", "2x2 stride 2", d(2, 2, 4, 4), false,
        Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2)));
    t.add(pool("MaxPool", "3x3 stride 2 pad 1 (overlapping)", d(2, 2, 5, 6), false,
        Attr.ints("kernel_shape", 3, 3), Attr.ints("strides", 2, 2),
        Attr.ints("pads", 1, 1, 1, 1)));
    t.add(pool("MaxPool", "3x3 stride 1 (heavy overlap)", d(1, 2, 5, 5), false,
        Attr.ints("kernel_shape", 3, 3)));
    t.add(pool("MaxPool", "ceil_mode", d(1, 2, 5, 5), false,
        Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2), Attr.i("ceil_mode", 1)));
    t.add(pool("MaxPool", "dilation 2", d(1, 1, 6, 6), false,
        Attr.ints("kernel_shape", 2, 2), Attr.ints("dilations", 2, 2)));
    t.add(pool("MaxPool", "1-D", d(2, 3, 9), false, Attr.ints("kernel_shape", 3),
        Attr.ints("strides", 2)));
    t.add(pool("MaxPool", "float64", d(1, 2, 4, 4), true, Attr.ints("kernel_shape", 2, 2),
        Attr.ints("strides", 2, 2)));
    t.add(pool("AveragePool", "2x2 stride 2", d(2, 2, 4, 4), false,
        Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2)));
    t.add(pool("AveragePool", "3x3 pad 1 count_include_pad 0", d(1, 2, 5, 5), false,
        Attr.ints("kernel_shape", 3, 3), Attr.ints("pads", 1, 1, 1, 1)));
    t.add(pool("AveragePool", "3x3 stride 2 pad 1 count_include_pad 1", d(1, 2, 6, 5), false,
        Attr.ints("kernel_shape", 3, 3), Attr.ints("pads", 1, 1, 1, 1),
        Attr.ints("strides", 2, 2), Attr.i("count_include_pad", 1)));
    t.add(pool("AveragePool", "ceil_mode", d(1, 2, 5, 5), false,
        Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2), Attr.i("ceil_mode", 1)));
    t.add(pool("AveragePool", "ceil_mode with pads and count_include_pad", d(1, 1, 6, 6), false,
        Attr.ints("kernel_shape", 3, 3), Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1),
        Attr.i("ceil_mode", 1), Attr.i("count_include_pad", 1)));
    t.add(pool("AveragePool", "1-D", d(2, 2, 7), false, Attr.ints("kernel_shape", 3),
        Attr.ints("strides", 2)));
    t.add(pool("AveragePool", "3-D", d(1, 2, 4, 4, 4), false, Attr.ints("kernel_shape", 2, 2, 2),
        Attr.ints("strides", 2, 2, 2)));
    t.add(pool("AveragePool", "auto_pad SAME_UPPER", d(1, 2, 5, 5), false,
        Attr.ints("kernel_shape", 3, 3), Attr.ints("strides", 2, 2),
        Attr.s("auto_pad", "SAME_UPPER")));
    t.add(pool("GlobalAveragePool", "2-D", d(2, 3, 4, 5), false));
    t.add(pool("GlobalAveragePool", "1-D", d(2, 3, 6), false));
    return t.stream();
  }
}
