package dev.zeroinit.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.tensor.DataType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Input synthesis: dims from --dim/--batch/files, the value rules, determinism, errors. */
class ModelInputsTest {
  static ModelInputs resolve(ModelProto m, VerifyConfig c) throws Exception {
    return ModelInputs.resolve(m.getGraph(), ModelIndex.of(m).main(), c);
  }

  @Test
  void tokenIdsStayInsideTheEmbeddingTable() throws Exception {
    ModelProto m = TestModels.tokens(37);
    ModelInputs in = resolve(m, VerifyConfig.defaults().withDims(Map.of("seq", 50L)).withBatch(3));
    ModelInputs.Input ids = in.inputs().get(0);
    assertArrayEquals(new long[] {3, 50}, ids.shape());
    assertEquals(37, ids.bound());
    assertEquals("token ids in [0, 37)", ids.rule());
    HostTensor v = in.values(0, true).get("ids");
    long max = 0;
    boolean seenHigh = false;
    for (int i = 0; i < v.elementCount(); i++) {
      long id = v.getLong(i);
      assertTrue(id >= 0 && id < 37, "id " + id);
      max = Math.max(max, id);
      seenHigh |= id >= 30;
    }
    assertTrue(seenHigh, "ids use the whole table, max " + max);
  }

  @Test
  void anUnsetSymbolicDimNamesItselfAndTheFlag() {
    VerifyInputException e = assertThrows(VerifyInputException.class,
        () -> resolve(TestModels.tokens(10), VerifyConfig.defaults()));
    assertEquals("input 'ids' axis 1 is the symbolic dim 'seq'; set it with --dim seq=VALUE", e.getMessage());
  }

  @Test
  void theFirstDimFollowsBatchUnlessADimSetsIt() throws Exception {
    ModelProto m = TestModels.zeroChain();
    assertArrayEquals(new long[] {8, 16}, resolve(m, VerifyConfig.defaults()).inputs().get(0).shape());
    assertArrayEquals(new long[] {2, 16}, resolve(m, VerifyConfig.defaults().withBatch(2)).inputs().get(0).shape());
    assertArrayEquals(new long[] {5, 16},
        resolve(m, VerifyConfig.defaults().withDims(Map.of("batch", 5L))).inputs().get(0).shape());
    assertArrayEquals(new long[] {6, 16},
        resolve(m, VerifyConfig.defaults().withDims(Map.of("x:0", 6L))).inputs().get(0).shape());
  }

  @Test
  void floatsAreStandardNormalBoolsACoinOtherIntegersBelowTen() throws Exception {
    ModelInputs in = resolve(TestModels.mixedInputs(), VerifyConfig.defaults().withBatch(400));
    Map<String, HostTensor> v = in.values(0, true);
    TensorStats x = TensorStats.of(v.get("x"));
    assertEquals(0, x.mean(), 0.1);
    assertEquals(1, x.rms(), 0.1);
    HostTensor mask = v.get("mask");
    assertEquals(DataType.BOOL, mask.type());
    long ones = 0;
    for (int i = 0; i < mask.elementCount(); i++) {
      ones += mask.getLong(i);
    }
    assertEquals(0.5, (double) ones / mask.elementCount(), 0.05);
    HostTensor count = v.get("count");
    for (int i = 0; i < count.elementCount(); i++) {
      assertTrue(count.getLong(i) >= 0 && count.getLong(i) < 10);
    }
    assertEquals("integers in [0, 10)", in.inputs().get(2).rule());
  }

  @Test
  void sameSeedSameValuesOtherSeedOtherValues() throws Exception {
    ModelInputs in = resolve(TestModels.mixedInputs(), VerifyConfig.defaults());
    HostTensor a = in.values(0, true).get("x");
    HostTensor b = resolve(TestModels.mixedInputs(), VerifyConfig.defaults()).values(0, true).get("x");
    HostTensor c = in.values(1, true).get("x");
    assertEquals(a.data(), b.data());
    assertFalse(a.data().equals(c.data()));
  }

  @Test
  void inputFilesBindTheirDimsAndAreConvertedToTheDeclaredType() throws Exception {
    // f4.npy is [2, 3] float32; the model declares x [batch, 3] as FLOAT16 here
    ModelProto m = halfInput();
    Path f4 = NpyReaderTest.fixture("f4.npy");
    ModelInputs in = resolve(m, VerifyConfig.defaults().withInputs(Map.of("x", f4)));
    HostTensor x = in.values(0, true).get("x");
    assertEquals(DataType.FLOAT16, x.type());
    assertArrayEquals(new long[] {2, 3}, x.shape());
    assertEquals(0.75, x.getDouble(5));
    assertTrue(in.inputs().get(0).file() != null);
    // the second run draws the same shape from the seed instead
    HostTensor drawn = in.values(1, false).get("x");
    assertArrayEquals(new long[] {2, 3}, drawn.shape());
  }

  @Test
  void tensorProtoFilesAreInputsToo(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    // ids [2, 3] int32 in typed fields, for an INT64 input [batch, seq]: binds batch = 2, seq = 3
    var t = dev.zeroinit.onnxio.proto.Onnx.TensorProto.newBuilder().setName("ids")
        .setDataType(DataType.INT32.code()).addDims(2).addDims(3);
    for (int v : new int[] {1, 2, 3, 4, 5, 6}) {
      t.addInt32Data(v);
    }
    Path pb = java.nio.file.Files.write(dir.resolve("ids.pb"), t.build().toByteArray());
    ModelInputs in = resolve(TestModels.tokens(10), VerifyConfig.defaults().withInputs(Map.of("ids", pb)));
    HostTensor ids = in.values(0, true).get("ids");
    assertEquals(DataType.INT64, ids.type());
    assertArrayEquals(new long[] {2, 3}, ids.shape());
    assertEquals(6, ids.getLong(5));
    Path junk = java.nio.file.Files.write(dir.resolve("junk.pb"), new byte[] {(byte) 0xFF, 1, 2});
    VerifyInputException e = assertThrows(VerifyInputException.class,
        () -> resolve(TestModels.tokens(10), VerifyConfig.defaults().withInputs(Map.of("ids", junk))));
    assertTrue(e.getMessage().contains("not an ONNX TensorProto"), e.getMessage());
  }

  @Test
  void inputFilesThatDoNotFitAreUsageErrors() throws Exception {
    ModelProto m = TestModels.zeroChain(); // x [batch, 16]
    VerifyInputException wrongDim = assertThrows(VerifyInputException.class, () -> resolve(m,
        VerifyConfig.defaults().withInputs(Map.of("x", NpyReaderTest.fixture("f4.npy")))));
    assertTrue(wrongDim.getMessage().contains("axis 1 is 3 in the file, 16 in the model"), wrongDim.getMessage());
    VerifyInputException unknown = assertThrows(VerifyInputException.class, () -> resolve(m,
        VerifyConfig.defaults().withInputs(Map.of("nope", NpyReaderTest.fixture("f4.npy")))));
    assertTrue(unknown.getMessage().contains("the model has no input 'nope'; its inputs: x"), unknown.getMessage());
    VerifyInputException floatToInt = assertThrows(VerifyInputException.class, () -> resolve(TestModels.tokens(5),
        VerifyConfig.defaults().withInputs(Map.of("ids", NpyReaderTest.fixture("f4.npy")))));
    assertTrue(floatToInt.getMessage().contains("cannot convert FLOAT values to INT64"), floatToInt.getMessage());
  }

  @Test
  void typesTheJavaApiCannotCreateAreNotRunnable() {
    UnsupportedTypeException e = assertThrows(UnsupportedTypeException.class,
        () -> resolve(TestModels.uint32Input(), VerifyConfig.defaults()));
    assertTrue(e.getMessage().contains("UINT32"), e.getMessage());
  }

  @Test
  void hugeDeclaredInputsAreRefusedBeforeAllocating() {
    VerifyInputException e = assertThrows(VerifyInputException.class, () -> resolve(TestModels.zeroChain(),
        VerifyConfig.defaults().withBatch(Integer.MAX_VALUE)));
    assertTrue(e.getMessage().contains("would take more than"), e.getMessage());
  }

  private static ModelProto halfInput() {
    var mb = new dev.zeroinit.onnxio.build.ModelBuilder("half");
    var g = mb.graph();
    String x = g.input("x", dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType.FLOAT16_VALUE, -1, 3);
    String y = g.matMul(x, 2);
    g.output(g.rename(y, "y"));
    return mb.build();
  }
}
