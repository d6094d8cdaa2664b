package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.Attr;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradient checks (see {@link GradCheck}) with every input dim symbolic, so that the derivative is
 * written with Shape-op based computations: broadcast reductions decided at run time (Shape, Equal,
 * NonZero, ReduceSum), Reshape back through Shape, element counts through Shape and ReduceProd,
 * zeros through ConstantOfShape.
 */
class DynamicShapeGradientTest {

  private static DynamicTest check(String label, boolean f64,
      java.util.function.Consumer<GradCheck> body) {
    return DynamicTest.dynamicTest(label, () -> {
      GradCheck c = (f64 ? GradCheck.f64(label) : GradCheck.f32(label)).symbolicShapes();
      body.accept(c);
      c.check();
    });
  }

  @Test
  void symbolicShapesAreComputedWithShapeOps() {
    GradCheck c = GradCheck.f64("dyn").symbolicShapes();
    c.input("a", d(2, 3, 4), c.uniform()).input("b", d(3, 1), c.uniform())
        .node("Add", "y", new String[] {"a", "b"}).output("y");
    List<String> ops = c.gradientModel().getGraph().getNodeList().stream()
        .map(n -> n.getOpType()).toList();
    assertTrue(ops.contains("NonZero") && ops.contains("Shape"), ops.toString());
    GradCheck s = GradCheck.f64("static");
    s.input("a", d(2, 3, 4), s.uniform()).input("b", d(3, 1), s.uniform())
        .node("Add", "y", new String[] {"a", "b"}).output("y");
    List<String> staticOps = s.gradientModel().getGraph().getNodeList().stream()
        .map(n -> n.getOpType()).toList();
    assertFalse(staticOps.contains("NonZero") || staticOps.contains("Shape"), staticOps.toString());
  }

  @TestFactory
  Stream<DynamicTest> symbolicShapes() {
    List<DynamicTest> t = new ArrayList<>();
    long[][][] shapes = {{{2, 3, 4}, {4}}, {{2, 3, 4}, {3, 1}}, {{2, 1, 4}, {3, 1}},
        {{2, 3}, {2, 3}}};
    for (String op : List.of("Add", "Sub", "Mul", "Div")) {
      for (long[][] s : shapes) {
        t.add(check(op + " " + java.util.Arrays.toString(s[0]) + " "
            + java.util.Arrays.toString(s[1]), true, c -> c.input("a", s[0], c.uniform())
            .input("b", s[1], c.positive()).node(op, "y", new String[] {"a", "b"}).output("y")));
      }
    }
    t.add(check("MatMul broadcast batch", true, c -> c.input("a", d(2, 1, 3, 4), c.uniform())
        .input("b", d(3, 4, 2), c.uniform()).node("MatMul", "y", new String[] {"a", "b"})
        .output("y")));
    t.add(check("MatMul shared weight", true, c -> c.input("a", d(2, 3, 4), c.uniform())
        .input("b", d(4, 5), c.uniform()).node("MatMul", "y", new String[] {"a", "b"})
        .output("y")));
    t.add(check("Gemm with bias", true, c -> c.input("a", d(3, 4), c.uniform())
        .input("b", d(5, 4), c.uniform()).input("c", d(5), c.uniform())
        .node("Gemm", "y", new String[] {"a", "b", "c"}, Attr.i("transB", 1)).output("y")));
    t.add(check("Flatten, Softmax, ReduceMean", true, c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("Flatten", "f", new String[] {"x"})
        .node("Softmax", "s", new String[] {"f"})
        .node("ReduceMean", "y", new String[] {"s"}, Attr.ints("axes", 0)).output("y")));
    t.add(check("Gather and Concat", true, c -> c.input("table", d(5, 3), c.uniform())
        .input("extra", d(2, 2, 3), c.uniform()).intInput("ids", d(2, 2), 1, 4, 1, 0)
        .node("Gather", "e", new String[] {"table", "ids"})
        .node("Concat", "y", new String[] {"e", "extra"}, Attr.i("axis", 1)).output("y")));
    t.add(check("Split with an unused output", true, c -> c.input("x", d(2, 6), c.uniform())
        .node("Split", new String[] {"x"}, new String[] {"a", "b"}, Attr.i("axis", 1))
        .output("a")));
    t.add(check("MaxPool and GlobalAveragePool", false, c -> c
        .input("x", d(2, 2, 4, 4), c.distinct(64))
        .node("MaxPool", "m", new String[] {"x"}, Attr.ints("kernel_shape", 2, 2),
            Attr.ints("strides", 2, 2))
        .node("GlobalAveragePool", "y", new String[] {"m"}).output("y")));
    t.add(check("LayerNormalization", false, c -> c.input("x", d(2, 3, 4), c.uniform())
        .input("s", d(4), c.range(0.5, 1.5)).input("b", d(4), c.uniform())
        .node("LayerNormalization", "y", new String[] {"x", "s", "b"}).output("y")));
    t.add(conv("Conv 1-D, symbolic length, stride 1 pad 1", c -> c
        .input("x", d(2, 3, 9), c.uniform()).input("w", d(4, 3, 3), c.uniform())
        .input("b", d(4), c.uniform())
        .node("Conv", "y", new String[] {"x", "w", "b"}, Attr.ints("pads", 1, 1)).output("y")));
    t.add(conv("Conv 2-D, symbolic size, stride 2", c -> c
        .input("x", d(1, 2, 7, 6), c.uniform()).input("w", d(3, 2, 3, 3), c.uniform())
        .node("Conv", "y", new String[] {"x", "w"}, Attr.ints("strides", 2, 2),
            Attr.ints("pads", 1, 0, 1, 1)).output("y")));
    t.add(conv("Conv depthwise, SAME_LOWER even kernel, symbolic size", c -> c
        .input("x", d(1, 3, 8), c.uniform()).input("w", d(3, 1, 4), c.uniform())
        .node("Conv", "y", new String[] {"x", "w"}, Attr.i("group", 3),
            Attr.s("auto_pad", "SAME_LOWER")).output("y")));
    t.add(conv("Conv dilated 2, stride 3, symbolic size", c -> c
        .input("x", d(2, 2, 11), c.uniform()).input("w", d(2, 2, 3), c.uniform())
        .node("Conv", "y", new String[] {"x", "w"}, Attr.ints("dilations", 2),
            Attr.ints("strides", 3)).output("y")));
    return t.stream();
  }

  private static DynamicTest conv(String label, java.util.function.Consumer<GradCheck> body) {
    return DynamicTest.dynamicTest(label, () -> {
      GradCheck c = GradCheck.f32(label).symbolicShapes("x");
      body.accept(c);
      c.check();
    });
  }
}
