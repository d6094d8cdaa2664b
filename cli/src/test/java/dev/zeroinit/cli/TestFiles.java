package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.NodeProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Paths of the repository and small file helpers the CLI tests share. */
final class TestFiles {
  private TestFiles() { }

  /** The repository root: the first folder up from the working directory that holds cli/pom.xml. */
  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    for (Path q = p; q != null; q = q.getParent()) {
      if (Files.isRegularFile(q.resolve("cli/pom.xml")) && Files.isRegularFile(q.resolve("pom.xml"))) {
        return q;
      }
    }
    throw new IllegalStateException("no repository root above " + p);
  }

  /** samples/sample_resnet.onnx (sample-resnet with BatchNormalization, as checked in). */
  static Path sample() {
    Path s = repoRoot().resolve("samples/sample_resnet.onnx");
    assertTrue(Files.isRegularFile(s), s + " is missing; build it with "
        + "'zero-init models build sample-resnet -o samples/sample_resnet.onnx'");
    return s;
  }

  /** A copy of the sample model in {@code dir}, named {@code name}. */
  static Path copySample(Path dir, String name) {
    try {
      return Files.copy(sample(), dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String sha256(Path file) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The names in {@code dir}, sorted. */
  static TreeSet<String> listing(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a model fully into memory (no mapping kept open). */
  static ModelProto load(Path file) {
    try (OnnxModel m = OnnxModel.read(file)) {
      return ModelProto.parseFrom(m.materializedProto().toByteArray());
    } catch (Exception e) {
      throw new AssertionError(file + " does not load: " + e, e);
    }
  }

  /** Every main-graph initializer, serialized, by name (inline models only). */
  static Map<String, byte[]> initializerBytes(ModelProto m) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (TensorProto t : m.getGraph().getInitializerList()) {
      out.put(t.getName(), t.toByteArray());
    }
    return out;
  }

  /** Input {@code index} of every main-graph node of {@code opType} (present and non-empty). */
  static List<String> inputsOf(ModelProto m, String opType, int index) {
    List<String> out = new ArrayList<>();
    for (NodeProto n : m.getGraph().getNodeList()) {
      if (n.getOpType().equals(opType) && n.getInputCount() > index && !n.getInput(index).isEmpty()) {
        out.add(n.getInput(index));
      }
    }
    return out;
  }
}
