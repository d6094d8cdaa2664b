package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Values land in the tensor's own type and storage, bit for bit; options and metadata behave. */
class RewriterTest {

  /**
   * A 4 x 2 Hadamard block (m = 2, paper c = 1/sqrt(2)) in each float type: the stored bits are the
   * correctly rounded c, and -c where H has a minus sign (row 1, column 1).
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "1, 4, 3f3504f3, bf3504f3",                      // FLOAT
      "10, 2, 39a8, b9a8",                             // FLOAT16
      "16, 2, 3f35, bf35",                             // BFLOAT16
      "11, 8, 3fe6a09e667f3bcd, bfe6a09e667f3bcd"})    // DOUBLE
  void hadamardFactorIsStoredCorrectlyRoundedInTheTensorsOwnType(int type, int width, String plusHex,
      String minusHex) throws Exception {
    ModelProto m = gemmModel(type, 4, 2);
    ModelProto out = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of());
    TensorProto w = out.getGraph().getInitializer(0);
    assertEquals(type, w.getDataType());
    ByteBuffer raw = w.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(8 * width, raw.remaining());
    long plus = Long.parseUnsignedLong(plusHex, 16);
    long minus = Long.parseUnsignedLong(minusHex, 16);
    // W is 4 x 2 stored [out, in]; H[1][1] = -1 is element 3
    long[] expected = {plus, plus, plus, minus, plus, plus, plus, minus};
    for (int i = 0; i < 8; i++) {
      long bits = switch (width) {
        case 2 -> raw.getShort() & 0xFFFFL;
        case 4 -> raw.getInt() & 0xFFFFFFFFL;
        default -> raw.getLong();
      };
      assertEquals(expected[i], bits, "element " + i);
    }
  }

  @Test
  void tensorsStoredInTypedFieldsStayInTypedFields() throws Exception {
    ModelProto m = gemmModel(1, 3, 5);
    TensorProto w = m.getGraph().getInitializer(0);
    float[] values = new float[15];
    ByteBuffer raw = w.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().get(values);
    TensorProto.Builder typed = w.toBuilder().clearRawData();
    for (float v : values) {
      typed.addFloatData(v);
    }
    m = m.toBuilder().setGraph(m.getGraph().toBuilder().setInitializer(0, typed)).build();
    TensorProto out = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of())
        .getGraph().getInitializer(0);
    assertFalse(out.hasRawData());
    assertEquals(15, out.getFloatDataCount());
    float[] expected = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 15; i++) {
      assertEquals(expected[i], out.getFloatData(i), 0f);
    }
  }

  @Test
  void sameInputAndOptionsGiveIdenticalBytes() throws Exception {
    ModelProto m = gemmModel(1, 10, 7);
    byte[] a = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of("k.v", "1")).toByteArray();
    byte[] b = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of("k.v", "1")).toByteArray();
    assertArrayEquals(a, b);
    byte[] c = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults().withScale(HadamardScale.ORTHONORMAL)),
        Map.of("k.v", "1")).toByteArray();
    assertFalse(java.util.Arrays.equals(a, c), "the scale changes the bytes");
  }

  @Test
  void metadataEntriesAreReplacedNotRepeated() throws Exception {
    ModelProto m = gemmModel(1, 4, 4).toBuilder()
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("user.key").setValue("kept"))
        .build();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("dev.zeroinit.version", "1");
    ModelProto once = Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), meta);
    ModelProto twice = Rewriter.apply(once, Planner.plan(once, PlanOptions.defaults()), meta);
    List<String> keys = twice.getMetadataPropsList().stream().map(StringStringEntryProto::getKey).toList();
    assertEquals(List.of("user.key", "dev.zeroinit.version"), keys);
  }

  @Test
  void excludedAndUnselectedTensorsAreLeftByteIdentical() throws Exception {
    ModelProto m = gemmModel(1, 6, 4);
    PlanOptions onlyConv = PlanOptions.defaults().withOps(java.util.Set.of("Conv"));
    Plan plan = Planner.plan(m, onlyConv);
    assertTrue(plan.rewritten().isEmpty());
    assertTrue(plan.skipped().get(0).skipReason().contains("--ops"), plan.skipped().get(0).skipReason());
    assertEquals(m, Rewriter.apply(m, plan, Map.of()));

    PlanOptions exclude = PlanOptions.defaults().withFilters(List.of(), List.of(Pattern.compile("^w$")));
    Plan p2 = Planner.plan(m, exclude);
    assertEquals("excluded by --exclude '^w$'", p2.skipped().get(0).skipReason());
    assertEquals(m.getGraph().getInitializer(0), Rewriter.apply(m, p2, Map.of()).getGraph().getInitializer(0));
  }

  @Test
  void normalisationParametersAreKeptWithNormKeep() throws Exception {
    GraphBuilder g = new GraphBuilder("bn", 3);
    g.input("x", 1, 1, 2, 2, 2);
    for (String n : new String[] {"s", "b", "m", "v"}) {
      g.initializer(n, 1, new long[] {2}, new float[] {0.7f, 1.3f});
    }
    g.node("BatchNormalization", new String[] {"x", "s", "b", "m", "v"}, new String[] {"y"});
    g.output("y", 1, 1, 2, 2, 2);
    ModelProto m = wrap(g);
    Plan keep = Planner.plan(m, PlanOptions.defaults().withNorm(NormMode.KEEP));
    assertEquals(4, keep.skipped().size());
    Plan reset = Planner.plan(m, PlanOptions.defaults());
    assertEquals(List.of("one", "zero", "zero", "one"), reset.rewritten().stream().map(PlanEntry::rule).toList());
  }

  private static ModelProto gemmModel(int type, int p, int q) {
    GraphBuilder g = new GraphBuilder("gemm", 11);
    g.input("x", type, 2, q);
    g.initializer("w", type, new long[] {p, q}, random(p * q));
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", type, 2, p);
    return wrap(g);
  }

  private static ModelProto wrap(GraphBuilder g) {
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
  }

  private static float[] random(int n) {
    float[] v = new float[n];
    java.util.SplittableRandom r = new java.util.SplittableRandom(n);
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }
}
