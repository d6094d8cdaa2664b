package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx.AttributeProto;
import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken input (issue #7): every case ends in exit code 3 (4 for the memory case) with one
 * {@code zero-init: } line that names the file and says what is wrong, no stack trace, no output and
 * no temp file left behind, and the input unchanged. Grouped by what is broken: the file itself, its
 * bytes, its tensors, its graph, its external data, its size. {@link ErrorExitCodeTest} holds the
 * first few file-level cases (missing, folder, empty, text, half a file); they are not repeated here.
 */
class HostileInputTest {
  @TempDir
  Path dir;

  // ---------------------------------------------------------------- helpers

  private Path out() {
    return dir.resolve("out.onnx");
  }

  /**
   * Runs {@code input -o out.onnx} (plus {@code extra}) and checks the contract: exit 3, one line
   * naming the input file and containing every fragment, nothing new in the folder, input unchanged.
   */
  private String assertInvalid(Path input, String... fragments) {
    return assertRefused(ExitCodes.INVALID_MODEL, input, List.of(), fragments);
  }

  private String assertRefused(int code, Path input, List<String> extra, String... fragments) {
    TreeSet<String> before = TestFiles.listing(input.toAbsolutePath().getParent());
    String hash = Files.isRegularFile(input) && Files.isReadable(input) ? TestFiles.sha256(input) : null;
    List<Object> args = new ArrayList<>(List.of(input, "-o", out()));
    args.addAll(extra);
    Cli.Run r = assertTimeout(() -> Cli.run(args.toArray()));
    String line = r.assertOneLineError(code).errorLine();
    assertTrue(line.contains(input.getFileName().toString()), "names the file: " + line);
    for (String f : fragments) {
      assertTrue(line.contains(f), "'" + line + "' should mention " + f);
    }
    assertEquals(before, TestFiles.listing(input.toAbsolutePath().getParent()), "no output, no temp file");
    assertFalse(Files.exists(out()), "no output");
    if (hash != null) {
      assertEquals(hash, TestFiles.sha256(input), "the input is unchanged");
    }
    return line;
  }

  private static <T> T assertTimeout(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
    return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), s,
        "the tool must not hang");
  }

  private Path write(String name, byte[] bytes) throws Exception {
    return Files.write(dir.resolve(name), bytes);
  }

  private Path write(String name, ModelProto m) throws Exception {
    return write(name, m.toByteArray());
  }

  /** x [1,4] -> Gemm(W [4,4], bias [4]) -> Relu -> output: a small valid model to break. */
  static ModelProto base() {
    ModelBuilder m = new ModelBuilder("hostile");
    var g = m.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 4);
    g.output(g.relu(g.gemm(x, 4, true)));
    return m.build();
  }

  static ModelProto editGraph(ModelProto m, UnaryOperator<GraphProto.Builder> edit) {
    return m.toBuilder().setGraph(edit.apply(m.getGraph().toBuilder())).build();
  }

  static ModelProto editWeight(UnaryOperator<TensorProto.Builder> edit) {
    return editGraph(base(), g -> g.setInitializer(0, edit.apply(g.getInitializer(0).toBuilder())));
  }

  static String weightName() {
    return base().getGraph().getInitializer(0).getName();
  }

  static String outputName() {
    return base().getGraph().getOutput(0).getName();
  }

  static NodeProto node(String op, String name, String[] inputs, String... outputs) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(List.of(inputs))
        .addAllOutput(List.of(outputs)).build();
  }

  @Test
  void theBaseModelIsValid() throws Exception {
    Cli.run(write("base.onnx", base()), "-o", out()).assertOk();
  }

  // ---------------------------------------------------------------- the file itself

  @Nested
  class NotAFile {
    @Test
    void aPipeIsRefusedWithoutBlocking() throws Exception {
      Path fifo = dir.resolve("pipe.onnx");
      Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
      Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo is available");
      assertInvalid(fifo, "not a regular file");
    }

    @Test
    void aCharacterDeviceBehindASymlinkIsRefused() throws Exception {
      Path link = Files.createSymbolicLink(dir.resolve("zero.onnx"), Path.of("/dev/zero"));
      try {
        assertInvalid(link, "not a regular file");
      } finally {
        Files.delete(link);
      }
    }

    @Test
    void aDanglingSymlinkIsRefused() throws Exception {
      Path link = Files.createSymbolicLink(dir.resolve("dangling.onnx"), dir.resolve("gone.onnx"));
      assertInvalid(link, "no such file");
    }

    @Test
    void aSymlinkLoopIsRefused() throws Exception {
      Path a = dir.resolve("a.onnx");
      Path b = dir.resolve("b.onnx");
      Files.createSymbolicLink(a, b);
      Files.createSymbolicLink(b, a);
      assertInvalid(a);
    }

    /**
     * chmod 000 does not stop root (CAP_DAC_OVERRIDE), and the tests run as root here: as root the
     * tool runs in a child JVM whose capability bounding set lacks CAP_DAC_OVERRIDE and
     * CAP_DAC_READ_SEARCH (util-linux {@code setpriv}), so the kernel refuses the read as it would
     * for any user; as another user chmod 000 is enough and the tool runs in this JVM.
     */
    @Test
    void anUnreadableFileIsRefused() throws Exception {
      Path locked = TestFiles.copySample(dir, "locked.onnx");
      String hash = TestFiles.sha256(locked);
      Files.setPosixFilePermissions(locked, java.util.Set.of());
      try {
        if (!"root".equals(System.getProperty("user.name"))) {
          assertInvalid(locked, "permission denied");
          return;
        }
        Assumptions.assumeTrue(commandWorks("setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "true"), "setpriv can drop capabilities here");
        Cli.Run r = ChildJvm.run(dir, List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search"),
            List.of(), locked.toString(), "-o", out().toString());
        String line = r.assertOneLineError(ExitCodes.INVALID_MODEL).errorLine();
        assertTrue(line.contains("locked.onnx") && line.contains("permission denied"), line);
        assertFalse(Files.exists(out()));
      } finally {
        Files.setPosixFilePermissions(locked, java.util.Set.of(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE));
      }
      assertEquals(hash, TestFiles.sha256(locked));
    }
  }

  static boolean commandWorks(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- not protobuf at all

  @Nested
  class NotProtobuf {
    @Test
    void randomBytesAreRefused() throws Exception {
      byte[] noise = new byte[4096];
      new Random(7).nextBytes(noise);
      assertInvalid(write("noise.onnx", noise));
    }

    @Test
    void aZipArchiveIsRefused() throws Exception {
      // a PyTorch checkpoint (.pt) is a zip archive: a common wrong file
      ByteArrayOutputStream zip = new ByteArrayOutputStream();
      try (var z = new java.util.zip.ZipOutputStream(zip)) {
        z.putNextEntry(new java.util.zip.ZipEntry("archive/data.pkl"));
        z.write("not a model".getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
      assertInvalid(write("model.pt.onnx", zip.toByteArray()), "not a valid ONNX model");
    }

    @Test
    void aVarintThatNeverEndsIsRefused() throws Exception {
      byte[] ff = new byte[64];
      Arrays.fill(ff, (byte) 0xFF);
      assertInvalid(write("ff.onnx", ff), "not a valid ONNX model");
    }

    @Test
    void aLengthPrefixFarBeyondTheFileIsRefused() throws Exception {
      // graph (field 7) claims 2 GB - 1 bytes; the file has 16
      byte[] b = {0x3a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
      assertInvalid(write("claims.onnx", b), "not a valid ONNX model");
    }

    @Test
    void nestingBeyondTheRecursionLimitIsRefused() throws Exception {
      // graph -> node -> attribute -> graph -> ... 3000 levels deep, in 20 kB
      byte[] graph = new byte[0];
      for (int i = 0; i < 1000; i++) {
        byte[] attr = field(6, graph);          // AttributeProto.g
        byte[] node = field(5, attr);           // NodeProto.attribute
        graph = field(1, node);                 // GraphProto.node
      }
      assertInvalid(write("deep.onnx", field(7, graph)), "not a valid ONNX model");
    }
  }

  /** One length-delimited field: tag, varint length, body. */
  static byte[] field(int number, byte[] body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeVarint(b, (long) number << 3 | 2);
    writeVarint(b, body.length);
    b.writeBytes(body);
    return b.toByteArray();
  }

  static void writeVarint(ByteArrayOutputStream b, long v) {
    while ((v & ~0x7FL) != 0) {
      b.write((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b.write((int) v);
  }

  // ---------------------------------------------------------------- truncated at every kind of boundary

  /**
   * The sample model cut at offsets of every kind: inside a varint tag or right after it, inside a
   * length prefix, inside a nested message (graph, node, attribute, value info, tensor), inside
   * raw_data, at field ends, and through the first bytes. Each must be refused (exit 3), or, where
   * protobuf reads the prefix as a smaller valid model, processed cleanly (exit 0, a loadable
   * output); never exit 1 or another code.
   */
  @Test
  void truncationsAtEveryKindOfBoundaryAreRefusedOrClean() throws Exception {
    byte[] whole = Files.readAllBytes(TestFiles.sample());
    Map<String, TreeSet<Integer>> cuts = Truncations.of(whole);
    Map<String, int[]> outcome = new LinkedHashMap<>();
    Path cut = dir.resolve("cut.onnx");
    for (Map.Entry<String, TreeSet<Integer>> kind : cuts.entrySet()) {
      int[] counts = new int[2];
      for (int offset : Truncations.spread(kind.getValue(), 24)) {
        Files.write(cut, Arrays.copyOf(whole, offset));
        Files.deleteIfExists(out());
        Cli.Run r = assertTimeout(() -> Cli.run(cut, "-o", out(), "-q"));
        String where = kind.getKey() + " at " + offset + " of " + whole.length;
        if (r.exit() == ExitCodes.OK) {
          counts[0]++;
          TestFiles.load(out()); // a clean outcome is a loadable model
        } else {
          assertEquals(ExitCodes.INVALID_MODEL, r.exit(), () -> where + ": " + r.err());
          String line = r.assertOneLineError(ExitCodes.INVALID_MODEL).errorLine();
          assertTrue(line.contains("cut.onnx"), where + ": " + line);
          assertFalse(Files.exists(out()), where);
          counts[1]++;
        }
        assertEquals(new TreeSet<>(List.of("cut.onnx")), withoutOut(TestFiles.listing(dir)), where);
      }
      outcome.put(kind.getKey(), counts);
    }
    StringBuilder b = new StringBuilder("truncations (kind: clean/refused):");
    outcome.forEach((k, v) -> b.append(' ').append(k).append(' ').append(v[0]).append('/').append(v[1]));
    System.out.println(b);
    assertTrue(outcome.keySet().containsAll(List.of("tag", "length", "nested", "raw_data", "field-end")),
        "every kind of boundary was found: " + outcome.keySet());
    assertTrue(outcome.get("raw_data")[1] > 0 && outcome.get("nested")[1] > 0);
  }

  private static TreeSet<String> withoutOut(TreeSet<String> names) {
    names.remove("out.onnx");
    return names;
  }

  // ---------------------------------------------------------------- valid protobuf, not a model

  @Nested
  class NotAModel {
    @Test
    void aSerializedTensorIsRefused() throws Exception {
      // what an ONNX test-data folder holds next to the model (input_0.pb)
      TensorProto t = base().getGraph().getInitializer(0);
      assertInvalid(write("input_0.onnx", t.toByteArray()));
    }

    @Test
    void aBareGraphWithoutTheModelAroundItIsRefused() throws Exception {
      assertInvalid(write("graph.onnx", base().getGraph().toByteArray()));
    }

    @Test
    void aModelWithoutAGraphIsRefused() throws Exception {
      assertInvalid(write("nograph.onnx", base().toBuilder().clearGraph().build()), "no graph");
    }

    @Test
    void aGraphFieldOfTheWrongWireTypeIsRefused() throws Exception {
      // field 7 written as a varint: protobuf keeps it as an unknown field, so there is no graph
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      writeVarint(b, 1 << 3);
      writeVarint(b, 8);
      writeVarint(b, 7 << 3);
      writeVarint(b, 12345);
      assertInvalid(write("wiretype.onnx", b.toByteArray()), "no graph");
    }

    @Test
    void aNodeWhoseAttributeIsNotAMessageIsRefused() throws Exception {
      // NodeProto.attribute (field 5) holding bytes that are not an AttributeProto
      byte[] node = field(5, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
      byte[] graph = field(1, node);
      assertInvalid(write("attr.onnx", field(7, graph)), "not a valid ONNX model");
    }
  }

  // ---------------------------------------------------------------- tensors that contradict their dims

  @Nested
  class BadTensors {
    @Test
    void rawDataShorterThanTheDimsNeedIsRefused() throws Exception {
      assertInvalid(write("short.onnx", editWeight(t -> t.setRawData(t.getRawData().substring(0, 60)))),
          weightName(), "60 bytes", "need 64");
    }

    @Test
    void rawDataLongerThanTheDimsNeedIsRefused() throws Exception {
      assertInvalid(write("long.onnx", editWeight(t -> t.setRawData(t.getRawData().concat(t.getRawData())))),
          weightName(), "128 bytes", "need 64");
    }

    @Test
    void largeRawDataOfTheWrongLengthIsRefused() throws Exception {
      // above 4 kB the reader leaves raw_data in the file and checks it as a reference into it
      assertInvalid(write("lazy.onnx", editWeight(t -> t.clearDims().addDims(64).addDims(64)
          .setRawData(ByteString.copyFrom(new byte[64 * 64 * 4 + 4])))), weightName(), "need 16384");
    }

    @Test
    void typedValuesOfTheWrongCountAreRefused() throws Exception {
      assertInvalid(write("typed.onnx", editWeight(t -> t.clearRawData().addFloatData(1f).addFloatData(2f))),
          weightName(), "float_data has 2 values", "need 16");
    }

    @Test
    void dimsWhoseProductOverflowsAreRefused() throws Exception {
      assertInvalid(write("overflow.onnx", editWeight(t -> t.clearDims().addDims(1L << 33).addDims(1L << 33))),
          weightName(), "more than " + Long.MAX_VALUE);
    }

    @Test
    void dimsWhoseBytesOverflowAreRefused() throws Exception {
      // the element count fits in 64 bits, the byte count (x4) does not
      assertInvalid(write("bytes.onnx", editWeight(t -> t.clearDims().addDims(1L << 31).addDims(1L << 31))),
          weightName());
    }

    @Test
    void negativeDimsAreRefused() throws Exception {
      assertInvalid(write("negative.onnx", editWeight(t -> t.setDims(0, -4))), weightName(), "negative");
    }

    @Test
    void anUnknownDataTypeIsRefused() throws Exception {
      assertInvalid(write("dtype.onnx", editWeight(t -> t.setDataType(99))), "unknown tensor data type 99");
    }

    @Test
    void aStringTensorWhereAWeightIsExpectedIsRefused() throws Exception {
      TensorProto.Builder s = TensorProto.newBuilder().setName(weightName())
          .setDataType(TensorProto.DataType.STRING_VALUE).addDims(4).addDims(4);
      for (int i = 0; i < 16; i++) {
        s.addStringData(ByteString.copyFromUtf8("w" + i));
      }
      TensorProto text = s.build();
      assertInvalid(write("string.onnx", editGraph(base(), g -> g.setInitializer(0, text))),
          "Gemm", "STRING", weightName());
    }
  }

  // ---------------------------------------------------------------- graphs that are not graphs

  @Nested
  class BadGraphs {
    @Test
    void aNodeReadingAValueNothingProducesIsRefused() throws Exception {
      assertInvalid(write("dangling.onnx", editGraph(base(), g -> g.setNode(1,
          g.getNode(1).toBuilder().setInput(0, "ghost")))), "'ghost'", "no node, graph input or initializer");
    }

    @Test
    void aCycleIsRefused() throws Exception {
      assertInvalid(write("cycle.onnx", editGraph(base(), g -> g
          .addNode(node("Add", "a", new String[] {outputName(), "q"}, "p"))
          .addNode(node("Relu", "b", new String[] {"p"}, "q")))), "cycle", "Add 'a'", "Relu 'b'");
    }

    @Test
    void twoNodesProducingOneValueAreRefused() throws Exception {
      assertInvalid(write("twins.onnx", editGraph(base(), g -> g
          .addNode(node("Identity", "twin", new String[] {"x"}, outputName())))), "defined twice", "twin");
    }

    @Test
    void duplicateInitializerNamesAreRefused() throws Exception {
      assertInvalid(write("dupinit.onnx", editGraph(base(), g -> g.addInitializer(g.getInitializer(0)))),
          weightName(), "twice");
    }

    @Test
    void aNodeOverwritingAnInitializerIsRefused() throws Exception {
      assertInvalid(write("shadow.onnx", editGraph(base(), g -> g
          .addNode(node("Identity", "shadow", new String[] {"x"}, weightName())))), "defined twice", "initializer");
    }

    @Test
    void aGraphOutputNothingProducesIsRefused() throws Exception {
      assertInvalid(write("output.onnx", editGraph(base(), g -> g
          .addOutput(ValueInfoProto.newBuilder().setName("nowhere")))), "'nowhere'");
    }

    @Test
    void aSubgraphReadingAnUndefinedValueIsRefused() throws Exception {
      GraphProto branch = GraphProto.newBuilder().setName("b")
          .addNode(node("Identity", "inner", new String[] {"ghost"}, "t"))
          .addOutput(ValueInfoProto.newBuilder().setName("t")).build();
      TensorProto cond = TensorProto.newBuilder().setName("c").setDataType(TensorProto.DataType.BOOL_VALUE)
          .addInt32Data(1).build();
      assertInvalid(write("subgraph.onnx", editGraph(base(), g -> g.addInitializer(cond)
          .addNode(NodeProto.newBuilder().setOpType("If").setName("if").addInput("c").addOutput("z")
              .addAttribute(AttributeProto.newBuilder().setName("then_branch")
                  .setType(AttributeProto.AttributeType.GRAPH).setG(branch))
              .addAttribute(AttributeProto.newBuilder().setName("else_branch")
                  .setType(AttributeProto.AttributeType.GRAPH).setG(branch))))), "'ghost'", "then_branch");
    }
  }

  // ---------------------------------------------------------------- external data, at the command line

  @Nested
  class BadExternalData {
    /** The base model with its weight (64 bytes) in external data. */
    private Path model(String location, long offset, long length) throws Exception {
      ModelProto m = editWeight(t -> t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
          .addExternalData(entry("location", location)).addExternalData(entry("offset", Long.toString(offset)))
          .addExternalData(entry("length", Long.toString(length))));
      return write("ext.onnx", m);
    }

    private StringStringEntryProto entry(String k, String v) {
      return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    @Test
    void theValidVariantIsAccepted() throws Exception {
      Files.write(dir.resolve("w.bin"), new byte[64]);
      Cli.run(model("w.bin", 0, 64), "-o", out()).assertOk();
    }

    @Test
    void aMissingFileIsRefused() throws Exception {
      assertInvalid(model("missing.bin", 0, 64), "missing.bin", "not found");
    }

    @Test
    void aRegionBeyondTheFileIsRefused() throws Exception {
      Files.write(dir.resolve("w.bin"), new byte[64]);
      assertInvalid(model("w.bin", 32, 64), "beyond the end");
      assertInvalid(model("w.bin", Long.MAX_VALUE, 64), "beyond the end");
    }

    @Test
    void anAbsoluteLocationIsRefused() throws Exception {
      assertInvalid(model(dir.resolve("w.bin").toString(), 0, 64), "absolute");
    }

    @Test
    void aParentSegmentIsRefused() throws Exception {
      Path sub = Files.createDirectory(dir.resolve("sub"));
      Files.write(dir.resolve("w.bin"), new byte[64]);
      Files.copy(model("../w.bin", 0, 64), sub.resolve("ext.onnx"));
      assertInvalid(sub.resolve("ext.onnx"), "'..'");
    }

    @Test
    void aSymlinkOutOfTheFolderIsRefused() throws Exception {
      Path outside = Files.createTempFile("zero-init-outside", ".bin");
      try {
        Files.write(outside, new byte[64]);
        Files.createSymbolicLink(dir.resolve("w.bin"), outside);
        assertInvalid(model("w.bin", 0, 64), "symbolic link");
      } finally {
        Files.delete(dir.resolve("w.bin"));
        Files.delete(outside);
      }
    }

    @Test
    void aDeviceIsRefused() throws Exception {
      Path link = Files.createSymbolicLink(dir.resolve("w.bin"), Path.of("/dev/zero"));
      try {
        assertInvalid(model("w.bin", 0, 64), "w.bin");
      } finally {
        Files.delete(link);
      }
    }

    @Test
    void aPipeIsRefusedWithoutBlocking() throws Exception {
      Process p = new ProcessBuilder("mkfifo", dir.resolve("w.bin").toString()).start();
      Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo is available");
      assertInvalid(model("w.bin", 0, 64), "not a regular file");
    }

    @Test
    void aFolderIsRefused() throws Exception {
      Files.createDirectory(dir.resolve("w.bin"));
      assertInvalid(model("w.bin", 0, 64), "is a folder");
    }
  }

  // ---------------------------------------------------------------- larger than the memory it needs

  /**
   * A MatMul weight [4096, 8192] whose consumer sees P = 8192 > Q = 4096: a dense Hadamard block of
   * 128 MB. In a JVM of 64 MB the tool refuses before rewriting, with the size needed and the option
   * that helps, exit 4 (resources), and writes nothing. The weight's data file is sparse on disk.
   */
  @Test
  void aModelNeedingMoreHeapThanTheJvmHasIsRefusedWithTheSizeAndTheOption() throws Exception {
    long bytes = 4096L * 8192 * 4;
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve("big.bin").toFile(), "rw")) {
      f.setLength(bytes);
    }
    ModelBuilder mb = new ModelBuilder("big");
    var g = mb.graph();
    String x = g.input("x", TensorProto.DataType.FLOAT, 1, 4096);
    TensorProto w = TensorProto.newBuilder().setName("W").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(4096).addDims(8192).setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("big.bin"))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(bytes)))
        .build();
    ModelProto m = mb.build();
    m = m.toBuilder().setGraph(m.getGraph().toBuilder().addInitializer(w)
        .addNode(node("MatMul", "mm", new String[] {x, "W"}, "y"))
        .addOutput(ValueInfoProto.newBuilder().setName("y"))).build();
    Path in = write("big.onnx", m);
    Cli.Run r = ChildJvm.run(dir, List.of(), List.of("-Xmx64m"), in.toString(), "-o", out().toString());
    String line = r.assertOneLineError(ExitCodes.IO).errorLine();
    assertTrue(line.contains("big.onnx") && line.contains("MB of heap") && line.contains("JAVA_OPTS=-Xmx"),
        line);
    assertTrue(line.contains("needs about") && line.contains("the JVM has"), line);
    assertEquals(new TreeSet<>(List.of("big.bin", "big.onnx")), TestFiles.listing(dir));
  }
}
