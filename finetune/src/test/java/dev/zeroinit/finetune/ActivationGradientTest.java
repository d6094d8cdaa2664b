package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;

import dev.zeroinit.onnxio.build.Attr;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradient checks (see {@link GradCheck}) of the activations, Softmax/LogSoftmax and the unary math
 * ops exporters write GELU and LayerNorm with. Inputs of the piecewise ops stay away from their kinks.
 * Float32 where ONNX Runtime's CPU provider has no float64 kernel: HardSigmoid, HardSwish, Gelu, Erf,
 * Mean.
 */
class ActivationGradientTest {

  private static DynamicTest unary(String label, boolean f64, String op,
      java.util.function.Function<GradCheck, java.util.function.DoubleSupplier> gen,
      dev.zeroinit.onnxio.proto.Onnx.AttributeProto... attrs) {
    return DynamicTest.dynamicTest(label, () -> {
      GradCheck c = f64 ? GradCheck.f64(label) : GradCheck.f32(label);
      c.input("x", d(2, 3, 4), gen.apply(c)).node(op, "y", new String[] {"x"}, attrs)
          .output("y").check();
    });
  }

  @TestFactory
  Stream<DynamicTest> activations() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(unary("Relu", true, "Relu", GradCheck::awayFromZero));
    t.add(unary("LeakyRelu alpha 0.1", true, "LeakyRelu", GradCheck::awayFromZero,
        Attr.f("alpha", 0.1f)));
    t.add(unary("LeakyRelu default alpha", true, "LeakyRelu", GradCheck::awayFromZero));
    t.add(unary("Sigmoid", true, "Sigmoid", c -> c.range(-3, 3)));
    t.add(unary("Tanh", true, "Tanh", c -> c.range(-2, 2)));
    t.add(DynamicTest.dynamicTest("Gelu exact (opset 20)", () -> {
      GradCheck c = GradCheck.f32("gelu exact").opset(20);
      c.input("x", d(2, 3, 4), c.range(-3, 3)).node("Gelu", "y", new String[] {"x"})
          .output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("Gelu tanh approximation (opset 20)", () -> {
      GradCheck c = GradCheck.f32("gelu tanh").opset(20);
      c.input("x", d(2, 3, 4), c.range(-3, 3))
          .node("Gelu", "y", new String[] {"x"}, Attr.s("approximate", "tanh"))
          .output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("Gelu written with Erf, as exporters emit it", () -> {
      GradCheck c = GradCheck.f32("gelu erf");
      c.input("x", d(2, 3, 4), c.range(-3, 3))
          .floats("sqrt2", d(), Math.sqrt(2)).floats("one", d(), 1).floats("half", d(), 0.5)
          .node("Div", "a", new String[] {"x", "sqrt2"})
          .node("Erf", "b", new String[] {"a"})
          .node("Add", "c", new String[] {"b", "one"})
          .node("Mul", "e", new String[] {"x", "c"})
          .node("Mul", "y", new String[] {"e", "half"})
          .output("y").check();
    }));
    t.add(unary("HardSigmoid default", false, "HardSigmoid", c -> c.range(-4, 4)));
    t.add(unary("HardSigmoid alpha 0.5 beta 0.3", false, "HardSigmoid", c -> c.range(-2, 2),
        Attr.f("alpha", 0.5f), Attr.f("beta", 0.3f)));
    t.add(unary("HardSwish", false, "HardSwish", c -> c.range(-5, 5)));
    for (long axis : new long[] {-1, 0, 1, 2}) {
      t.add(unary("Softmax axis " + axis, true, "Softmax", GradCheck::uniform,
          Attr.i("axis", axis)));
      t.add(unary("LogSoftmax axis " + axis, true, "LogSoftmax", GradCheck::uniform,
          Attr.i("axis", axis)));
    }
    for (long axis : new long[] {1, 2, -1}) {
      t.add(DynamicTest.dynamicTest("Softmax and LogSoftmax at opset 11, axis " + axis
          + " (all axes from axis on)", () -> {
        GradCheck c = GradCheck.f64("softmax 11 " + axis).opset(11);
        c.input("x", d(2, 3, 4), c.uniform())
            .node("Softmax", "y", new String[] {"x"}, Attr.i("axis", axis))
            .node("LogSoftmax", "z", new String[] {"x"}, Attr.i("axis", axis))
            .output("y", "z").check();
      }));
    }
    return t.stream();
  }

  @TestFactory
  Stream<DynamicTest> unaryMath() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(unary("Neg", true, "Neg", GradCheck::uniform));
    t.add(unary("Exp", true, "Exp", GradCheck::uniform));
    t.add(unary("Log", true, "Log", GradCheck::positive));
    t.add(unary("Sqrt", true, "Sqrt", GradCheck::positive));
    t.add(unary("Reciprocal", true, "Reciprocal", GradCheck::positive));
    t.add(unary("Abs", true, "Abs", GradCheck::awayFromZero));
    t.add(unary("Erf", false, "Erf", c -> c.range(-2, 2)));
    t.add(unary("Identity", true, "Identity", GradCheck::uniform));
    t.add(DynamicTest.dynamicTest("Pow by constant 2 and by a tensor", () -> {
      GradCheck c = GradCheck.f64("pow");
      c.input("x", d(2, 3), c.positive()).input("e", d(3), c.range(0.5, 2))
          .floats("two", d(), 2)
          .node("Pow", "a", new String[] {"x", "two"})
          .node("Pow", "b", new String[] {"x", "e"})
          .output("a", "b").check();
    }));
    t.add(DynamicTest.dynamicTest("Clip with bounds", () -> {
      GradCheck c = GradCheck.f64("clip");
      c.input("x", d(3, 4), c.range(-2, 2)).floats("lo", d(), -0.5).floats("hi", d(), 0.7)
          .node("Clip", "y", new String[] {"x", "lo", "hi"}).output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("Where", () -> {
      GradCheck c = GradCheck.f64("where");
      c.input("a", d(2, 3), c.uniform()).input("b", d(3), c.uniform())
          .constantInput("k", d(2, 3), c.uniform()).floats("zero", d(), 0)
          .node("Greater", "m", new String[] {"k", "zero"})
          .node("Where", "y", new String[] {"m", "a", "b"}).output("y").check();
    }));
    t.add(DynamicTest.dynamicTest("Sum of three", () -> {
      GradCheck c = GradCheck.f64("sum");
      c.input("a", d(2, 3), c.uniform()).input("b", d(3), c.uniform())
          .input("e", d(2, 1), c.uniform())
          .node("Sum", "s", new String[] {"a", "b", "e"}).output("s").check();
    }));
    t.add(DynamicTest.dynamicTest("Mean of three (float32: no float64 kernel)", () -> {
      GradCheck c = GradCheck.f32("mean");
      c.input("a", d(2, 3), c.uniform()).input("b", d(3), c.uniform())
          .input("e", d(2, 1), c.uniform())
          .node("Mean", "m", new String[] {"a", "b", "e"}).output("m").check();
    }));
    t.add(DynamicTest.dynamicTest("Cast float to double and back", () -> {
      GradCheck c = GradCheck.f64("cast");
      c.input("x", d(2, 3), c.uniform())
          .node("Cast", "a", new String[] {"x"}, Attr.i("to", 1))
          .node("Mul", "b", new String[] {"a", "a"})
          .node("Cast", "y", new String[] {"b"}, Attr.i("to", 11)).output("y")
          .step(1e-3).tolerance(1e-3, 1e-3).check();
    }));
    return t.stream();
  }
}
