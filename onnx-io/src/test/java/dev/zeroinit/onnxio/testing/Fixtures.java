package dev.zeroinit.onnxio.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Fixtures that live outside the repository. A missing one skips the test on a developer machine
 * but fails it under CI (environment variable {@code CI} set), so a CI run never passes by skipping.
 */
public final class Fixtures {
  private Fixtures() {}

  /**
   * {@code dir} when it is a directory; otherwise fails the test under CI and aborts (skips) it
   * elsewhere, with a message naming the folder and {@code installHint}.
   */
  public static Path requireDirectory(Path dir, String installHint) {
    if (Files.isDirectory(dir)) {
      return dir;
    }
    String message = "fixture folder " + dir.toAbsolutePath() + " is missing: " + installHint;
    if (System.getenv("CI") != null) {
      return Assertions.fail(message + " (required because CI is set)");
    }
    return Assumptions.abort(message);
  }

  /** The ONNX backend test data (system property {@code zeroinit.onnx.testdata}). */
  public static Path onnxTestData() {
    return requireDirectory(
        Path.of(System.getProperty("zeroinit.onnx.testdata", "/usr/share/libonnx-testdata/data")),
        "install Debian package libonnx-testdata");
  }

  /** The shared model fixtures (system property {@code zeroinit.shared.models}). */
  public static Path sharedModels() {
    return requireDirectory(
        Path.of(System.getProperty("zeroinit.shared.models", "../shared/models")),
        "the ../shared/models fixtures next to the repository");
  }
}
