package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs the tool in a child JVM (for heap limits, signals and dropped privileges). */
final class ChildJvm {
  private ChildJvm() { }

  /** The command line: {@code prefix} (e.g. setpriv ...), java, {@code jvmArgs}, the tool, {@code args}. */
  static List<String> command(List<String> prefix, List<String> jvmArgs, String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ZeroInitCommand.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs to the end (at most 120 s) in {@code workDir}; stdout and stderr are kept outside it. */
  static Cli.Run run(Path workDir, List<String> prefix, List<String> jvmArgs, String... args)
      throws IOException, InterruptedException {
    Path logs = Files.createTempDirectory("zero-init-child");
    try {
      Process p = new ProcessBuilder(command(prefix, jvmArgs, args)).directory(workDir.toFile())
          .redirectOutput(logs.resolve("stdout.txt").toFile())
          .redirectError(logs.resolve("stderr.txt").toFile())
          .start();
      boolean done = p.waitFor(120, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      assertTrue(done, "the child JVM finished within 120 s");
      return new Cli.Run(p.exitValue(), Files.readString(logs.resolve("stdout.txt")),
          Files.readString(logs.resolve("stderr.txt")));
    } finally {
      deleteTree(logs);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
