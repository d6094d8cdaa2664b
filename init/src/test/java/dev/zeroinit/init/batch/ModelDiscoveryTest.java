package dev.zeroinit.init.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every *.onnx at any depth, in path order, '/'-separated; the output folder and linked folders left out. */
class ModelDiscoveryTest {
  @TempDir Path tmp;

  private void touch(String rel) throws Exception {
    Path p = tmp.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, new byte[] {1});
  }

  @Test
  void findsModelsRecursivelyInPathOrder() throws Exception {
    for (String f : List.of("z.onnx", "a/b/c.onnx", "a/B.ONNX", "a/b.onnx.data", "a/notes.txt", "a0.onnx",
        "out/old.onnx", ".a.onnx.zero-init-12ab.tmp", "a/b/.hidden.onnx")) {
      touch(f);
    }
    Files.createDirectory(tmp.resolve("empty"));
    Path outside = Files.createTempDirectory("zi-outside");
    try {
      Files.write(outside.resolve("far.onnx"), new byte[] {1});
      Files.createSymbolicLink(tmp.resolve("linked"), outside);
      Files.createSymbolicLink(tmp.resolve("a/link.onnx"), tmp.resolve("z.onnx"));
      assertEquals(List.of("a/B.ONNX", "a/b/.hidden.onnx", "a/b/c.onnx", "a/link.onnx", "a0.onnx", "z.onnx"),
          ModelDiscovery.find(tmp, tmp.resolve("out")));
      assertEquals(7, ModelDiscovery.find(tmp, null).size(), "without an output folder to skip");
    } finally {
      Files.deleteIfExists(outside.resolve("far.onnx"));
      Files.deleteIfExists(outside);
    }
  }
}
