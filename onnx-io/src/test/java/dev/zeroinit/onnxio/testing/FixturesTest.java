package dev.zeroinit.onnxio.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class FixturesTest {
  @Test
  void anExistingFolderIsReturned(@TempDir Path dir) {
    assertEquals(dir, Fixtures.requireDirectory(dir, "hint"));
  }

  @Test
  void aMissingFolderSkipsLocallyAndFailsUnderCi(@TempDir Path dir) {
    Path missing = dir.resolve("absent");
    Class<? extends Throwable> expected =
        System.getenv("CI") != null ? AssertionFailedError.class : TestAbortedException.class;
    Throwable thrown = assertThrows(expected, () -> Fixtures.requireDirectory(missing, "install it"));
    assertTrue(thrown.getMessage().contains("absent") && thrown.getMessage().contains("install it"),
        thrown.getMessage());
  }
}
