package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.zeroinit.init.batch.BatchRunner;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code zero-init batch} on a small zoo: nested folders, an external-data model, a corrupt file.
 * Outputs mirror the layout, the corrupt one is reported and the exit code is 6; --resume re-runs do
 * nothing and say so; shards partition the folder; the reports parse and agree.
 */
class BatchCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> GOOD = List.of("a/b/mlp_wide.onnx", "a/mlp.onnx", "ext/mlp_ext.onnx",
      "resnet.onnx");
  private static final String CORRUPT = "a/b/corrupt.onnx";

  @TempDir Path tmp;
  private Path in;

  private static ModelProto build(String name, ModelOptions o) {
    return ModelCatalog.standard().build(name, o);
  }

  private static void write(ModelProto m, Path file, ExternalDataLayout layout) throws Exception {
    Files.createDirectories(file.getParent());
    ModelWriter.write(null, m, file, WriteOptions.defaults().withLayout(layout).withDurable(false)
        .withOverwrite(true));
  }

  @BeforeEach
  void zoo() throws Exception {
    in = tmp.resolve("zoo");
    write(build("sample-resnet", ModelOptions.DEFAULTS), in.resolve("resnet.onnx"), ExternalDataLayout.INLINE);
    write(build("mlp", ModelOptions.DEFAULTS.withHidden(128)), in.resolve("a/mlp.onnx"), ExternalDataLayout.INLINE);
    write(build("mlp", ModelOptions.DEFAULTS.withHidden(1024).withSeed(2)), in.resolve("a/b/mlp_wide.onnx"),
        ExternalDataLayout.INLINE);
    write(build("mlp", ModelOptions.DEFAULTS.withHidden(256).withSeed(3)), in.resolve("ext/mlp_ext.onnx"),
        ExternalDataLayout.SINGLE);
    Files.write(in.resolve(CORRUPT), "this is not a model\n".getBytes());
    Files.write(in.resolve("a/readme.txt"), "not a model either".getBytes());
  }

  private static List<String> files(Path root) throws Exception {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted().toList();
    }
  }

  /** Every tensor's values, by name, with external and lazily read data copied in. */
  static Map<String, double[]> tensors(Path model) throws Exception {
    Map<String, double[]> out = new TreeMap<>();
    try (OnnxModel m = OnnxModel.read(model)) {
      TensorWalker.visit(m.proto(), (site, t) -> {
        TensorProto full = t.getDataLocation() != TensorProto.DataLocation.EXTERNAL ? t
            : t.toBuilder().clearExternalData().clearDataLocation()
                .setRawData(ByteString.copyFrom(m.rawBytes(site, t))).build();
        out.put(t.getName(), TensorCodec.decode(full));
      });
    }
    return out;
  }

  static Map<String, String> metadata(Path model) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (OnnxModel m = OnnxModel.read(model)) {
      for (StringStringEntryProto e : m.proto().getMetadataPropsList()) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  @Test
  void mirrorsTheLayoutReportsTheCorruptModelAndExitsWith6() throws Exception {
    Path out = tmp.resolve("out");
    Path json = tmp.resolve("report.json");
    Path junit = tmp.resolve("junit.xml");
    Path md = tmp.resolve("summary.md");
    CliRun r = CliRun.of("batch", in.toString(), "-o", out.toString(), "--jobs", "2", "--no-sync",
        "--hadamard-scale", "orthonormal", "--report", json.toString(), "--junit", junit.toString(),
        "--markdown", md.toString());
    assertEquals(ExitCodes.SOME_FAILED, r.code(), r.toString());
    assertEquals(List.of("a/b/mlp_wide.onnx", "a/mlp.onnx", "ext/mlp_ext.onnx", "ext/mlp_ext.onnx.data",
        "resnet.onnx"), files(out), "results at the same relative paths, data file beside");
    assertTrue(r.err().contains("zero-init: " + CORRUPT + ": is not a valid ONNX model"), r.err());
    assertTrue(r.out().contains("5 models: 4 ok, 1 FAILED"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("ext/mlp_ext.onnx") && l.endsWith("ok")), r.out());

    // every result holds exactly what the main job writes with the same options
    for (String rel : GOOD) {
      Path main = tmp.resolve("main").resolve(rel);
      Files.createDirectories(main.getParent());
      CliRun m = CliRun.of(in.resolve(rel).toString(), "-o", main.toString(), "--hadamard-scale",
          "orthonormal", "--no-sync", "-q");
      assertEquals(0, m.code(), m.toString());
      Map<String, double[]> want = tensors(main);
      Map<String, double[]> got = tensors(out.resolve(rel));
      assertEquals(want.keySet(), got.keySet(), rel);
      want.forEach((name, v) -> assertArrayEquals(v, got.get(name), rel + ": " + name));
      Map<String, String> meta = metadata(out.resolve(rel));
      assertEquals(metadata(main).get("dev.zeroinit.options"), meta.get("dev.zeroinit.options"));
      assertEquals("keep", meta.get("dev.zeroinit.external-data"));
      assertEquals(64, meta.get(BatchRunner.META_INPUT_SHA256).length(), meta.toString());
    }

    JsonNode report = JSON.readTree(json.toFile());
    assertEquals(5, report.at("/summary/found").asInt());
    assertEquals(4, report.at("/summary/rewritten").asInt());
    assertEquals(1, report.at("/summary/failed").asInt());
    JsonNode corrupt = report.at("/models/0");
    assertEquals(CORRUPT, corrupt.get("path").asText());
    assertEquals("failed", corrupt.get("status").asText());
    assertEquals("invalid-model", corrupt.at("/error/kind").asText());
    assertEquals(3, corrupt.at("/error/exitCode").asInt());
    assertEquals("orthonormal", report.at("/options/hadamardScale").asText());

    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
    Element suite = (Element) doc.getElementsByTagName("testsuite").item(0);
    NodeList cases = doc.getElementsByTagName("testcase");
    NodeList failures = doc.getElementsByTagName("failure");
    assertEquals("5", suite.getAttribute("tests"));
    assertEquals("1", suite.getAttribute("failures"));
    assertEquals("0", suite.getAttribute("skipped"));
    assertEquals(5, cases.getLength());
    assertEquals(1, failures.getLength());
    assertEquals(CORRUPT, ((Element) failures.item(0).getParentNode()).getAttribute("name"));
    assertEquals("invalid-model", ((Element) failures.item(0)).getAttribute("type"));
    Set<String> names = new HashSet<>();
    for (int i = 0; i < cases.getLength(); i++) {
      names.add(((Element) cases.item(i)).getAttribute("name"));
    }
    Set<String> all = new HashSet<>(GOOD);
    all.add(CORRUPT);
    assertEquals(all, names);

    String summary = Files.readString(md);
    assertTrue(summary.contains("| `a/b/corrupt.onnx` |") && summary.contains("| FAILED: is not a valid ONNX model"),
        summary);
    assertEquals(5 + 2, summary.lines().filter(l -> l.startsWith("|")).count(), summary);
  }

  @Test
  void resumeDoesNothingWhenUpToDateAndRedoesWhatChanged() throws Exception {
    Path out = tmp.resolve("out");
    assertEquals(6, CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync").code());
    Map<String, FileTime> times = new TreeMap<>();
    Map<String, byte[]> bytes = new TreeMap<>();
    for (String f : files(out)) {
      times.put(f, Files.getLastModifiedTime(out.resolve(f)));
      bytes.put(f, Files.readAllBytes(out.resolve(f)));
    }
    Thread.sleep(20); // a rewrite would show in the modification times

    Path junit = tmp.resolve("resume.xml");
    CliRun again = CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync", "--resume",
        "--junit", junit.toString());
    assertEquals(6, again.code(), "the corrupt model still fails: " + again);
    assertTrue(again.out().contains("5 models: 0 ok, 4 up to date, 1 FAILED"), again.out());
    for (String rel : GOOD) {
      assertTrue(again.out().contains("up to date " + rel), again.out());
    }
    for (String f : files(out)) {
      assertEquals(times.get(f), Files.getLastModifiedTime(out.resolve(f)), f + " untouched");
      assertArrayEquals(bytes.get(f), Files.readAllBytes(out.resolve(f)), f);
    }
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
    assertEquals(4, doc.getElementsByTagName("skipped").getLength());
    assertEquals("4", ((Element) doc.getElementsByTagName("testsuite").item(0)).getAttribute("skipped"));

    // one input changes, and the options of another run differ: only what changed is redone
    write(build("mlp", ModelOptions.DEFAULTS.withHidden(128).withSeed(99)), in.resolve("a/mlp.onnx"),
        ExternalDataLayout.INLINE);
    Files.delete(in.resolve(CORRUPT));
    CliRun third = CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync", "--resume",
        "--report", tmp.resolve("r.json").toString());
    assertEquals(0, third.code(), third.toString());
    assertTrue(third.out().contains("4 models: 1 ok, 3 up to date"), third.out());
    JsonNode mlp = JSON.readTree(tmp.resolve("r.json").toFile()).at("/models/1");
    assertEquals("a/mlp.onnx", mlp.get("path").asText());
    assertTrue(mlp.get("reason").asText().contains("the input changed"), mlp.toString());

    CliRun other = CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync", "--resume",
        "--norm", "keep", "-q");
    assertEquals(0, other.code(), other.toString());
    assertEquals("", other.out());
    assertTrue(metadata(out.resolve("resnet.onnx")).get("dev.zeroinit.options").contains("--norm keep"));
  }

  @Test
  void twoShardsPartitionTheFolderExactly() throws Exception {
    List<Set<String>> parts = new ArrayList<>();
    for (int k = 1; k <= 2; k++) {
      Path json = tmp.resolve("shard" + k + ".json");
      CliRun r = CliRun.of("batch", in.toString(), "-o", tmp.resolve("out" + k).toString(), "--shard",
          k + "/2", "--no-sync", "--report", json.toString());
      assertTrue(r.code() == 0 || r.code() == 6, r.toString());
      Set<String> paths = new HashSet<>();
      JSON.readTree(json.toFile()).get("models").forEach(m -> paths.add(m.get("path").asText()));
      assertEquals(5, JSON.readTree(json.toFile()).at("/summary/found").asInt());
      parts.add(paths);
    }
    Set<String> union = new HashSet<>(parts.get(0));
    union.addAll(parts.get(1));
    Set<String> all = new HashSet<>(GOOD);
    all.add(CORRUPT);
    assertEquals(all, union, "union = all");
    Set<String> both = new HashSet<>(parts.get(0));
    both.retainAll(parts.get(1));
    assertEquals(Set.of(), both, "intersection = none");
    assertFalse(parts.get(0).isEmpty() || parts.get(1).isEmpty(), parts.toString());
  }

  @Test
  void failFastStopsStartingModelsAfterTheFirstFailure() throws Exception {
    Path junit = tmp.resolve("j.xml");
    CliRun r = CliRun.of("batch", in.toString(), "-o", tmp.resolve("out").toString(), "--fail-fast",
        "--no-sync", "--junit", junit.toString());
    assertEquals(6, r.code(), r.toString());
    // the corrupt model sorts first: nothing else starts
    assertEquals(List.of(), files(tmp.resolve("out")));
    assertTrue(r.out().contains("5 models: 0 ok, 1 FAILED, 4 not run"), r.out());
    assertTrue(r.err().contains("--fail-fast: 4 models not run"), r.err());
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
    assertEquals(1, doc.getElementsByTagName("failure").getLength());
    assertEquals(4, doc.getElementsByTagName("skipped").getLength());
  }

  @Test
  void existingOutputsAreRefusedPerModelUnlessForced() throws Exception {
    Files.delete(in.resolve(CORRUPT));
    Path out = tmp.resolve("out");
    assertEquals(0, CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync", "-q").code());
    CliRun again = CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync");
    assertEquals(6, again.code(), again.toString());
    assertTrue(again.err().contains("exists; use --force to replace it, or --resume"), again.err());
    assertEquals(0, CliRun.of("batch", in.toString(), "-o", out.toString(), "--no-sync", "--force", "-q").code());
  }

  @Test
  void aBudgetSmallerThanEveryModelRunsThemOneAtATime() throws Exception {
    Files.delete(in.resolve(CORRUPT));
    Path json = tmp.resolve("r.json");
    CliRun r = CliRun.of("batch", in.toString(), "-o", tmp.resolve("out").toString(), "--no-sync", "--jobs",
        "3", "--max-memory", "1k", "--report", json.toString());
    assertEquals(0, r.code(), r.toString());
    JsonNode report = JSON.readTree(json.toFile());
    long largest = 0;
    for (JsonNode m : report.get("models")) {
      largest = Math.max(largest, m.get("footprintEstimate").asLong());
    }
    assertEquals(1024, report.at("/summary/memoryBudget").asLong());
    assertEquals(largest, report.at("/summary/peakReserved").asLong(), "never two at once");
  }

  @Test
  void verifyChecksEveryResultAndItsOptionsNeedIt() throws Exception {
    Files.delete(in.resolve(CORRUPT));
    Path json = tmp.resolve("r.json");
    CliRun r = CliRun.of("batch", in.toString(), "-o", tmp.resolve("out").toString(), "--no-sync", "--verify",
        "--device", "cpu", "--batch", "2", "--report", json.toString());
    assertEquals(0, r.code(), r.toString());
    JsonNode report = JSON.readTree(json.toFile());
    assertEquals(GOOD.size(), report.get("models").size());
    for (JsonNode m : report.get("models")) {
      assertTrue(m.toString().contains("signal check passed on CPUExecutionProvider"), m.toString());
    }
    CliRun noVerify = CliRun.of("batch", in.toString(), "-o", tmp.resolve("o2").toString(), "--device", "cpu");
    assertEquals(2, noVerify.code(), noVerify.toString());
    assertTrue(noVerify.err().contains("--device: needs --verify"), noVerify.err());
    CliRun perModelFile = CliRun.of("batch", in.toString(), "-o", tmp.resolve("o3").toString(), "--verify",
        "--json", tmp.resolve("x.json").toString());
    assertEquals(2, perModelFile.code(), perModelFile.toString());
  }

  @Test
  void usageErrorsExitWith2() throws Exception {
    Path out = tmp.resolve("out");
    assertEquals(2, CliRun.of("batch", in.toString()).code(), "no -o");
    assertEquals(2, CliRun.of("batch", tmp.resolve("missing").toString(), "-o", out.toString()).code());
    assertEquals(2, CliRun.of("batch", in.resolve("resnet.onnx").toString(), "-o", out.toString()).code());
    assertEquals(2, CliRun.of("batch", in.toString(), "-o", in.toString()).code(), "OUTDIR is INDIR");
    for (String[] bad : List.of(new String[] {"--shard", "0/2"}, new String[] {"--shard", "3/2"},
        new String[] {"--shard", "x"}, new String[] {"--max-memory", "lots"}, new String[] {"--jobs", "0"},
        new String[] {"--hadamard-scale", "huge"}, new String[] {"--external-data", "nowhere"})) {
      List<String> args = new ArrayList<>(List.of("batch", in.toString(), "-o", out.toString()));
      args.addAll(List.of(bad));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertEquals(2, r.code(), String.join(" ", bad) + ": " + r);
      assertTrue(r.err().startsWith("zero-init: "), r.err());
    }
    assertFalse(Files.exists(out), "nothing written on a usage error");
  }

  @Test
  void sizesParseWithBinaryMultiples() throws Exception {
    assertEquals(512L << 20, BatchCommand.parseSize("512m"));
    assertEquals(4L << 30, BatchCommand.parseSize("4g"));
    assertEquals(3L << 29, BatchCommand.parseSize("1.5G"));
    assertEquals(64L << 20, BatchCommand.parseSize("64MiB"));
    assertEquals(1000, BatchCommand.parseSize("1000"));
  }
}
