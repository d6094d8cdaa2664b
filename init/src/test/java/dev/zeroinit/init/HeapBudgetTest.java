package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.InsufficientMemoryException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.OperatorSetIdProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heap estimate made before a rewrite, and the refusal when the JVM cannot give it. */
class HeapBudgetTest {
  @TempDir Path dir;

  /** x [2, q] -> Gemm(W [p, q], transB=1): W is P x Q as stored. */
  private static ModelProto gemm(int p, int q) {
    GraphBuilder g = new GraphBuilder("gemm", 3);
    g.input("x", TensorProto.DataType.FLOAT_VALUE, 2, q);
    g.initializer("w", TensorProto.DataType.FLOAT_VALUE, new long[] {p, q}, new float[p * q]);
    g.node("Gemm", new String[] {"x", "w"}, new String[] {"y"}, Attr.i("transB", 1));
    g.output("y", TensorProto.DataType.FLOAT_VALUE, 2, p);
    return ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
  }

  private HeapBudget.Estimate estimate(ModelProto m, ExternalDataLayout layout) throws Exception {
    Path file = Files.write(dir.resolve("m.onnx"), m.toByteArray());
    try (OnnxModel model = OnnxModel.read(file)) {
      Plan plan = Planner.plan(model.proto(), PlanOptions.defaults());
      return HeapBudget.estimate(model, plan, WriteOptions.defaults().withLayout(layout));
    }
  }

  @Test
  void aHadamardBlockCountsInFullAnIdentityNotAtAll() throws Exception {
    assertEquals(64L * 32 * 4, estimate(gemm(64, 32), ExternalDataLayout.SINGLE).denseRewriteBytes(),
        "P > Q: a dense Hadamard block");
    assertEquals(0, estimate(gemm(64, 64), ExternalDataLayout.SINGLE).denseRewriteBytes(), "identity");
    assertEquals(0, estimate(gemm(32, 64), ExternalDataLayout.SINGLE).denseRewriteBytes(), "partial identity");
  }

  @Test
  void untouchedInlineWeightsCountWhenTheWriterMustCopyThemInline() throws Exception {
    // a 64 x 64 Gather table (16 kB, left in the file by the reader) is skipped: the writer copies it
    GraphBuilder g = new GraphBuilder("emb", 3);
    g.input("ids", TensorProto.DataType.INT64_VALUE, 4);
    g.initializer("table", TensorProto.DataType.FLOAT_VALUE, new long[] {64, 64}, new float[64 * 64]);
    g.node("Gather", new String[] {"table", "ids"}, new String[] {"e"});
    g.output("e", TensorProto.DataType.FLOAT_VALUE, 4, 64);
    ModelProto m = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g.build()).build();
    assertEquals(64 * 64 * 4, estimate(m, ExternalDataLayout.KEEP).copiedInlineBytes());
    assertEquals(64 * 64 * 4, estimate(m, ExternalDataLayout.INLINE).copiedInlineBytes());
    assertEquals(0, estimate(m, ExternalDataLayout.SINGLE).copiedInlineBytes(), "streamed to the data file");
  }

  @Test
  void theRefusalSaysWhatIsNeededWhatTheJvmHasAndWhatHelps() {
    HeapBudget.Estimate e = new HeapBudget.Estimate(3L << 30, 1L << 30);
    InsufficientMemoryException x = assertThrows(InsufficientMemoryException.class,
        () -> HeapBudget.check(Path.of("big.onnx"), e, 2L << 30, 100L << 20, ExternalDataLayout.KEEP));
    String m = x.getMessage();
    assertTrue(m.startsWith("big.onnx: the rewrite needs about 4128 MB of heap"), m);
    assertTrue(m.contains("the JVM has 2048 MB (1948 MB free)"), m);
    assertTrue(m.contains("JAVA_OPTS=-Xmx5g") && m.contains("--external-data single"), m);
    assertEquals(e.total(), x.neededBytes());
    assertDoesNotThrow(() -> HeapBudget.check(Path.of("big.onnx"), e, 8L << 30, 100L << 20,
        ExternalDataLayout.KEEP));
  }
}
