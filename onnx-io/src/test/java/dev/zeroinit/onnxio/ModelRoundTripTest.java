package dev.zeroinit.onnxio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.testing.Fixtures;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every model of the ONNX backend test suite survives read, KEEP write and read again: the protos are
 * equal, and a canonically serialized input comes back byte for byte. Every tensor-typed test data file
 * ({@code input_N.pb} / {@code output_N.pb}) re-serializes to its own bytes.
 */
class ModelRoundTripTest {
  private static final List<String> SUITES =
      List.of("node", "pytorch-converted", "pytorch-operator", "simple", "real");
  private static final Pattern DATA_FILE = Pattern.compile("(input|output)_(\\d+)\\.pb");
  private static final int SHOWN_FAILURES = 20;

  private final List<String> failures = new ArrayList<>();
  private int models;
  private int canonicalIdentical;
  private int nonCanonicalEqual;
  private int tensors;
  private int nonTensorData;

  @Test
  void everyBackendTestModelAndTensorRoundTrips(@TempDir Path tmp) throws IOException {
    Path base = Fixtures.onnxTestData();
    WriteOptions options = WriteOptions.defaults()
        .withLayout(ExternalDataLayout.KEEP)
        .withDurable(false); // a thousand fsyncs would dominate the run; atomicity is tested elsewhere
    int n = 0;
    for (String suite : SUITES) {
      Path dir = base.resolve(suite);
      if (!Files.isDirectory(dir)) {
        failures.add(dir + ": suite folder missing");
        continue;
      }
      for (Path modelFile : modelFiles(dir)) {
        Path out = Files.createDirectory(tmp.resolve("m" + n++));
        Onnx.GraphProto graph = roundTripModel(modelFile, out.resolve("model.onnx"), options);
        deleteContents(out);
        if (graph != null) {
          roundTripTestData(modelFile.getParent(), graph);
        }
      }
    }
    System.out.printf("ModelRoundTripTest: %d models read; %d canonical and byte-identical, "
        + "%d not canonical but equal; %d tensors byte-identical (%d non-tensor .pb skipped); "
        + "%d failures%n", models, canonicalIdentical, nonCanonicalEqual, tensors, nonTensorData,
        failures.size());
    assertTrue(models > 0, "no model.onnx under " + base);
    assertEquals(List.of(), failures.subList(0, Math.min(SHOWN_FAILURES, failures.size())),
        failures.size() + " failures");
  }

  /** Reads, writes with KEEP and reads again; returns the graph for the test data, null on failure. */
  private Onnx.GraphProto roundTripModel(Path modelFile, Path target, WriteOptions options) {
    byte[] input;
    try {
      input = Files.readAllBytes(modelFile);
    } catch (IOException e) {
      failures.add(modelFile + ": unreadable: " + e);
      return null;
    }
    try (OnnxModel model = OnnxModel.read(modelFile)) {
      models++;
      ModelWriter.write(model, model.proto(), target, options);
      ModelProto full = model.materializedProto();
      try (OnnxModel back = OnnxModel.read(target)) {
        if (!full.equals(back.materializedProto())) {
          failures.add(modelFile + ": the written model parses to a different ModelProto");
          return null;
        }
      }
      byte[] written = Files.readAllBytes(target);
      if (Arrays.equals(full.toByteArray(), input)) {
        if (!Arrays.equals(written, input)) {
          failures.add(modelFile + ": canonical input, but the written bytes differ");
          return null;
        }
        canonicalIdentical++;
      } else {
        nonCanonicalEqual++;
      }
      return model.proto().getGraph();
    } catch (InvalidModelException | WriteRefusedException | IOException | RuntimeException e) {
      failures.add(modelFile + ": " + e);
      return null;
    }
  }

  /** Re-serializes every tensor-typed {@code input_N.pb} / {@code output_N.pb} of a test folder. */
  private void roundTripTestData(Path testDir, Onnx.GraphProto graph) throws IOException {
    List<Path> dataSets;
    try (Stream<Path> s = Files.list(testDir)) {
      dataSets = s.filter(p -> Files.isDirectory(p)
              && p.getFileName().toString().startsWith("test_data_set"))
          .sorted().collect(Collectors.toList());
    }
    for (Path set : dataSets) {
      List<Path> files;
      try (Stream<Path> s = Files.list(set)) {
        files = s.sorted().collect(Collectors.toList());
      }
      for (Path file : files) {
        Matcher m = DATA_FILE.matcher(file.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        List<Onnx.ValueInfoProto> infos =
            m.group(1).equals("input") ? graph.getInputList() : graph.getOutputList();
        int index = Integer.parseInt(m.group(2));
        if (index >= infos.size()) {
          failures.add(file + ": the model has no " + m.group(1) + " #" + index);
          continue;
        }
        if (!infos.get(index).getType().hasTensorType()) {
          nonTensorData++; // a SequenceProto, OptionalProto or MapProto: not in our schema
          continue;
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
          byte[] again = Onnx.TensorProto.parseFrom(bytes).toByteArray();
          if (!Arrays.equals(bytes, again)) {
            failures.add(file + ": the re-serialized TensorProto differs from the file");
            continue;
          }
          tensors++;
        } catch (IOException e) {
          failures.add(file + ": not a TensorProto: " + e.getMessage());
        }
      }
    }
  }

  private static List<Path> modelFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().equals("model.onnx") && Files.isRegularFile(p))
          .sorted().collect(Collectors.toList());
    }
  }

  private static void deleteContents(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.delete(p);
      }
    }
  }
}
