package dev.zeroinit.finetune;

import static dev.zeroinit.finetune.GradCheck.d;

import dev.zeroinit.onnxio.build.Attr;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Gradient checks (see {@link GradCheck}) of Gemm, MatMul and broadcasting arithmetic. */
class LinearAndArithmeticGradientTest {

  @TestFactory
  Stream<DynamicTest> gemm() {
    List<DynamicTest> tests = new ArrayList<>();
    for (int ta = 0; ta < 2; ta++) {
      for (int tb = 0; tb < 2; tb++) {
        int fa = ta;
        int fb = tb;
        tests.add(DynamicTest.dynamicTest("Gemm transA=" + ta + " transB=" + tb + " alpha beta", () -> {
          GradCheck c = GradCheck.f64("gemm" + fa + fb);
          c.input("a", fa == 1 ? d(4, 3) : d(3, 4), c.uniform())
              .input("b", fb == 1 ? d(5, 4) : d(4, 5), c.uniform())
              .input("c", d(5), c.uniform())
              .node("Gemm", "y", new String[] {"a", "b", "c"}, Attr.i("transA", fa),
                  Attr.i("transB", fb), Attr.f("alpha", 0.7f), Attr.f("beta", 1.3f))
              .output("y").check();
        }));
      }
    }
    long[][] cShapes = {{3, 5}, {3, 1}, {1, 5}, {}, {1}};
    for (long[] cs : cShapes) {
      tests.add(DynamicTest.dynamicTest("Gemm C " + java.util.Arrays.toString(cs), () -> {
        GradCheck c = GradCheck.f64("gemmc" + java.util.Arrays.toString(cs));
        c.input("a", d(3, 4), c.uniform()).input("b", d(5, 4), c.uniform())
            .input("c", cs, c.uniform())
            .node("Gemm", "y", new String[] {"a", "b", "c"}, Attr.i("transB", 1))
            .output("y").check();
      }));
    }
    tests.add(DynamicTest.dynamicTest("Gemm without C", () -> {
      GradCheck c = GradCheck.f64("gemm no c");
      c.input("a", d(2, 3), c.uniform()).input("b", d(3, 4), c.uniform())
          .node("Gemm", "y", new String[] {"a", "b"}).output("y").check();
    }));
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> matMul() {
    long[][][] shapes = {
        {{3, 4}, {4, 5}},
        {{2, 3, 4}, {2, 4, 5}},
        {{2, 1, 3, 4}, {3, 4, 2}},
        {{3, 4}, {2, 4, 5}},
        {{2, 3, 4}, {4, 5}},
        {{2, 3, 6}, {6, 2}},
        {{4}, {4, 5}},
        {{4}, {2, 4, 3}},
        {{2, 3, 4}, {4}},
        {{4}, {4}},
    };
    List<DynamicTest> tests = new ArrayList<>();
    for (long[][] s : shapes) {
      String label = java.util.Arrays.toString(s[0]) + " x " + java.util.Arrays.toString(s[1]);
      tests.add(DynamicTest.dynamicTest("MatMul " + label, () -> {
        GradCheck c = GradCheck.f64("matmul " + label);
        c.input("a", s[0], c.uniform()).input("b", s[1], c.uniform())
            .node("MatMul", "y", new String[] {"a", "b"}).output("y").check();
      }));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> broadcastingArithmetic() {
    long[][][] shapes = {
        {{2, 3, 4}, {2, 3, 4}},
        {{2, 3, 4}, {4}},
        {{2, 3, 4}, {3, 1}},
        {{2, 1, 4}, {3, 1}},
        {{2, 3, 4}, {}},
        {{1}, {2, 3}},
    };
    List<DynamicTest> tests = new ArrayList<>();
    for (String op : List.of("Add", "Sub", "Mul", "Div")) {
      for (long[][] s : shapes) {
        String label = op + " " + java.util.Arrays.toString(s[0]) + " "
            + java.util.Arrays.toString(s[1]);
        tests.add(DynamicTest.dynamicTest(label, () -> {
          GradCheck c = GradCheck.f64(label);
          c.input("a", s[0], c.uniform())
              .input("b", s[1], op.equals("Div") ? c.positive() : c.uniform())
              .node(op, "y", new String[] {"a", "b"}).output("y").check();
        }));
      }
    }
    tests.add(DynamicTest.dynamicTest("Add of a value to itself", () -> {
      GradCheck c = GradCheck.f64("self add");
      c.input("a", d(2, 3), c.uniform()).node("Mul", "y", new String[] {"a", "a"})
          .node("Add", "z", new String[] {"y", "a"}).output("z").check();
    }));
    return tests.stream();
  }
}
