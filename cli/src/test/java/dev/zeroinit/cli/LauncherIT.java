package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The repository's own launcher against the jar the build just packaged. An integration test
 * (Maven Failsafe, after {@code package}), so the jar exists and is newer than the sources and the
 * launcher runs it without building.
 */
class LauncherIT {

  @Test
  void theRepositoryLauncherRunsThePackagedJar() throws Exception {
    Path repo = TestFiles.repoRoot();
    assertTrue(Files.isRegularFile(repo.resolve("cli/target/zero-init.jar")), "the build packages the jar first");
    Process p = new ProcessBuilder("bash", repo.resolve("zero-init").toString(), "--version")
        .directory(repo.toFile()).redirectErrorStream(false).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher finishes");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), err);
    assertEquals("zero-init " + Version.get() + "\n", out, err);
  }
}
