package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradient checks (see {@link GradCheck}, float64) of the ops that move values: Flatten, Reshape,
 * Transpose, Concat, Split, Slice, Squeeze, Unsqueeze, Gather, Expand, Identity, Dropout, the
 * reductions, and Shape-driven subgraphs that carry no gradient. Each output is multiplied by a
 * fresh tensor first where needed so that a wrong placement changes the sum.
 */
class ShapeOpsGradientTest {

  private static DynamicTest check(String label, java.util.function.Consumer<GradCheck> body) {
    return DynamicTest.dynamicTest(label, () -> {
      GradCheck c = GradCheck.f64(label);
      body.accept(c);
      c.check();
    });
  }

  @TestFactory
  Stream<DynamicTest> reshapes() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(check("Flatten axis 1", c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("Flatten", "y", new String[] {"x"}).output("y")));
    t.add(check("Flatten axis 2", c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("Flatten", "y", new String[] {"x"}, Attr.i("axis", 2)).output("y")));
    t.add(check("Reshape with 0 and -1", c -> c.input("x", d(2, 3, 4), c.uniform())
        .ints("shape", 0, -1, 2).node("Reshape", "y", new String[] {"x", "shape"}).output("y")));
    t.add(check("Reshape driven by Shape/Gather/Concat (no gradient through the shape)",
        c -> c.input("x", d(2, 3, 4), c.uniform()).ints("i0", 0).ints("minus1", -1)
            .node("Shape", "s", new String[] {"x"})
            .node("Gather", "b", new String[] {"s", "i0"}, Attr.i("axis", 0))
            .node("Concat", "shape", new String[] {"b", "minus1"}, Attr.i("axis", 0))
            .node("Reshape", "y", new String[] {"x", "shape"}).output("y")));
    t.add(check("Transpose perm", c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("Transpose", "y", new String[] {"x"}, Attr.ints("perm", 1, 2, 0)).output("y")));
    t.add(check("Transpose default (reverse)", c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("Transpose", "y", new String[] {"x"}).output("y")));
    t.add(check("Squeeze and Unsqueeze", c -> c.input("x", d(2, 1, 3), c.uniform())
        .ints("a1", 1).ints("a2", 0, 3)
        .node("Squeeze", "s", new String[] {"x", "a1"})
        .node("Unsqueeze", "y", new String[] {"s", "a2"}).output("y")));
    t.add(check("Identity and Dropout", c -> c.input("x", d(2, 3), c.uniform())
        .node("Identity", "a", new String[] {"x"})
        .node("Dropout", "y", new String[] {"a"}).output("y")));
    t.add(check("Expand", c -> c.input("x", d(3, 1), c.uniform()).ints("shape", 2, 3, 4)
        .node("Expand", "y", new String[] {"x", "shape"}).output("y")));
    return t.stream();
  }

  @TestFactory
  Stream<DynamicTest> opset11Forms() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(DynamicTest.dynamicTest("opset 11: axes and split as attributes", () -> {
      GradCheck c = GradCheck.f64("opset 11 attrs").opset(11);
      c.input("x", d(2, 1, 6), c.uniform())
          .node("Squeeze", "s", new String[] {"x"}, Attr.ints("axes", 1))
          .node("Split", new String[] {"s"}, new String[] {"a", "b"}, Attr.i("axis", 1),
              Attr.ints("split", 2, 4))
          .node("Unsqueeze", "u", new String[] {"b"}, Attr.ints("axes", 0))
          .node("ReduceSum", "r", new String[] {"u"}, Attr.ints("axes", 2), Attr.i("keepdims", 0))
          .output("a", "r").check();
    }));
    return t.stream();
  }

  @TestFactory
  Stream<DynamicTest> concatSplitSlice() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(check("Concat axis 1 of three (one a constant)", c -> c
        .input("a", d(2, 2, 3), c.uniform()).input("b", d(2, 1, 3), c.uniform())
        .constantInput("k", d(2, 3, 3), c.uniform())
        .node("Concat", "y", new String[] {"a", "k", "b"}, Attr.i("axis", 1)).output("y")));
    t.add(check("Concat axis -1", c -> c.input("a", d(2, 3), c.uniform())
        .input("b", d(2, 2), c.uniform())
        .node("Concat", "y", new String[] {"a", "b"}, Attr.i("axis", -1)).output("y")));
    t.add(check("Split equal", c -> c.input("x", d(2, 6), c.uniform())
        .node("Split", new String[] {"x"}, new String[] {"a", "b", "e"}, Attr.i("axis", 1))
        .output("a", "b", "e")));
    t.add(check("Split sizes, one output unused", c -> c.input("x", d(5, 2), c.uniform())
        .ints("sizes", 2, 3)
        .node("Split", new String[] {"x", "sizes"}, new String[] {"a", "b"})
        .output("b")));
    t.add(check("Slice steps 1", c -> c.input("x", d(4, 5), c.uniform())
        .ints("st", 1, 1).ints("en", 3, 4)
        .node("Slice", "y", new String[] {"x", "st", "en"}).output("y")));
    t.add(check("Slice step 2 with axes", c -> c.input("x", d(3, 7), c.uniform())
        .ints("st", 1).ints("en", 7).ints("ax", 1).ints("sp", 2)
        .node("Slice", "y", new String[] {"x", "st", "en", "ax", "sp"}).output("y")));
    t.add(check("Slice negative step, negative starts", c -> c.input("x", d(3, 8), c.uniform())
        .ints("st", -2).ints("en", 0).ints("ax", -1).ints("sp", -3)
        .node("Slice", "y", new String[] {"x", "st", "en", "ax", "sp"}).output("y")));
    t.add(check("Slice two axes, huge end, step 3", c -> c.input("x", d(5, 6, 2), c.uniform())
        .ints("st", 0, 1).ints("en", Long.MAX_VALUE, -1).ints("ax", 0, 1).ints("sp", 3, 1)
        .node("Slice", "y", new String[] {"x", "st", "en", "ax", "sp"}).output("y")));
    return t.stream();
  }

  @TestFactory
  Stream<DynamicTest> gatherAndReductions() {
    List<DynamicTest> t = new ArrayList<>();
    t.add(check("Gather axis 0 (embedding, repeated indices)", c -> c
        .input("table", d(5, 3), c.uniform()).intInput("ids", d(2, 3), 1, 4, 1, 0, 1, 4)
        .node("Gather", "y", new String[] {"table", "ids"}).output("y")));
    t.add(check("Gather axis 0, negative index", c -> c
        .input("table", d(4, 2), c.uniform()).intInput("ids", d(3), -1, 0, 3)
        .node("Gather", "y", new String[] {"table", "ids"}).output("y")));
    t.add(check("Gather axis 1", c -> c
        .input("x", d(2, 4, 3), c.uniform()).intInput("ids", d(2, 2), 3, 0, 3, 1)
        .node("Gather", "y", new String[] {"x", "ids"}, Attr.i("axis", 1)).output("y")));
    t.add(check("Gather scalar index", c -> c.input("x", d(3, 4), c.uniform())
        .floats("unused", d(1), 0)
        .node("Constant", "i", new String[0], Attr.t("value", Tensors.int64(null, d(), 2)))
        .node("Gather", "y", new String[] {"x", "i"}, Attr.i("axis", 1)).output("y")));
    t.add(check("ReduceSum axes input, keepdims 0", c -> c.input("x", d(2, 3, 4), c.uniform())
        .ints("ax", 0, 2).node("ReduceSum", "y", new String[] {"x", "ax"},
            Attr.i("keepdims", 0)).output("y")));
    t.add(check("ReduceSum all", c -> c.input("x", d(2, 3), c.uniform())
        .node("ReduceSum", "y", new String[] {"x"}).output("y")));
    t.add(check("ReduceMean axes attribute", c -> c.input("x", d(2, 3, 4), c.uniform())
        .node("ReduceMean", "y", new String[] {"x"}, Attr.ints("axes", 1),
            Attr.i("keepdims", 0)).output("y")));
    return t.stream();
  }
}
