package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job on the sample model: what it writes, what it leaves alone, and that it repeats exactly. */
class MainJobTest {
  @TempDir
  Path dir;

  @Test
  void rewritesTheSampleIntoALoadableFileAndLeavesTheInputUntouched() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    String before = TestFiles.sha256(in);
    Path out = dir.resolve("out.onnx");

    Cli.Run r = Cli.run(in, "-o", out).assertOk();

    assertTrue(Files.isRegularFile(out));
    ModelProto written = TestFiles.load(out);
    assertEquals(TestFiles.load(in).getGraph().getInitializerCount(), written.getGraph().getInitializerCount());
    assertEquals(before, TestFiles.sha256(in), "the input's bytes changed");
    assertTrue(r.out().contains("tensors rewritten"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void recordsVersionAndOptionsInMetadataOnceEvenWhenRunOnItsOwnOutput() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path once = dir.resolve("once.onnx");
    Path twice = dir.resolve("twice.onnx");
    Cli.run(in, "-o", once, "-q").assertOk();
    Cli.run(once, "-o", twice, "-q", "--hadamard-scale", "orthonormal").assertOk();

    List<StringStringEntryProto> first = TestFiles.load(once).getMetadataPropsList();
    assertEquals(1, count(first, ZeroInitCommand.META_VERSION));
    assertEquals(1, count(first, ZeroInitCommand.META_OPTIONS));
    assertEquals(Version.get(), value(first, ZeroInitCommand.META_VERSION));
    assertTrue(value(first, ZeroInitCommand.META_OPTIONS).contains("--hadamard-scale paper"));

    List<StringStringEntryProto> second = TestFiles.load(twice).getMetadataPropsList();
    assertEquals(1, count(second, ZeroInitCommand.META_VERSION), second::toString);
    assertEquals(1, count(second, ZeroInitCommand.META_OPTIONS), second::toString);
    assertTrue(value(second, ZeroInitCommand.META_OPTIONS).contains("--hadamard-scale orthonormal"),
        "the options of the latest run win");
  }

  @Test
  void twoRunsWithTheSameOptionsWriteByteIdenticalFiles() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path a = dir.resolve("a.onnx");
    Path b = dir.resolve("b.onnx");
    Cli.run(in, "-o", a, "-q").assertOk();
    Cli.run(in, "-o", b, "-q").assertOk();
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
  }

  @Test
  void rewritingItsOwnOutputAgainGivesTheSameBytes() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path a = dir.resolve("a.onnx");
    Path b = dir.resolve("b.onnx");
    Cli.run(in, "-o", a, "-q").assertOk();
    Cli.run(a, "-o", b, "-q").assertOk();
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "ZerO of a ZerO model is itself");
  }

  @Test
  void orthonormalHadamardScaleChangesTheOutput() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path paper = dir.resolve("paper.onnx");
    Path ortho = dir.resolve("ortho.onnx");
    Cli.run(in, "-o", paper, "-q").assertOk();
    Cli.run(in, "-o", ortho, "-q", "--hadamard-scale", "orthonormal").assertOk();
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(paper), Files.readAllBytes(ortho)));
    // only the hadamard tensors (and the options metadata) differ
    var p = TestFiles.initializerBytes(TestFiles.load(paper));
    var o = TestFiles.initializerBytes(TestFiles.load(ortho));
    assertNotEquals(0, p.keySet().stream().filter(k -> !java.util.Arrays.equals(p.get(k), o.get(k))).count());
    assertArrayEquals(p.get("head.gemm.weight"), o.get("head.gemm.weight"), "partial identity has no scale");
  }

  @Test
  void quietPrintsNothingOnSuccess() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Cli.Run r = Cli.run(in, "-o", dir.resolve("out.onnx"), "-q").assertOk();
    assertEquals("", r.out());
    assertEquals("", r.err());
  }

  @Test
  void forceReplacesAnExistingOutput() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path out = dir.resolve("out.onnx");
    Files.writeString(out, "old contents");
    Cli.run(in, "-o", out, "--force", "-q").assertOk();
    TestFiles.load(out);
    Path fresh = dir.resolve("fresh.onnx");
    Cli.run(in, "-o", fresh, "-q").assertOk();
    assertArrayEquals(Files.readAllBytes(fresh), Files.readAllBytes(out));
    assertEquals(Set.of("model.onnx", "out.onnx", "fresh.onnx"), TestFiles.listing(dir));
  }

  @Test
  void inPlaceReplacesTheInputAndLeavesNoTempFiles() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path reference = dir.resolve("reference.onnx");
    Cli.run(in, "-o", reference, "-q").assertOk();

    Cli.run(in, "--in-place", "-q").assertOk();

    assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(in),
        "--in-place writes what -o would have written");
    assertEquals(Set.of("model.onnx", "reference.onnx"), TestFiles.listing(dir));
    assertTrue(TestFiles.listing(dir).stream().noneMatch(n -> n.contains(".zero-init-")));
  }

  @Test
  void inPlaceWithOutputNamingTheInputItselfIsAccepted() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    String before = TestFiles.sha256(in);
    Cli.run(in, "--in-place", "-o", dir.resolve(".").resolve("model.onnx"), "-q").assertOk();
    assertNotEquals(before, TestFiles.sha256(in));
  }

  private static long count(List<StringStringEntryProto> props, String key) {
    return props.stream().filter(p -> p.getKey().equals(key)).count();
  }

  private static String value(List<StringStringEntryProto> props, String key) {
    return props.stream().filter(p -> p.getKey().equals(key)).findFirst().orElseThrow().getValue();
  }
}
