package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zero-init experiment}: a reduced degeneracy run through the command line (its table,
 * verdicts and files), refusal to overwrite, and the one-line errors of bad options and data.
 */
class ExperimentCommandTest {
  static Path data;

  @BeforeAll
  static void data() {
    data = Fixtures.requireDirectory(Path.of("/usr/share/datasets/fashion-mnist"),
        "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
  }

  /** A very small degeneracy run: 10 iterations, ranks at 0, 5 and 10. */
  static Cli.Run tiny(Path out, Object... extra) {
    Object[] base = {"experiment", "degeneracy", "--quick", "--limit", 640, "--compare-hidden", 800,
        "--hidden", 300, "--every", 5, "--threads", 1, "--device", "cpu", "-o", out};
    Object[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return Cli.run(args);
  }

  @Test
  void degeneracyPrintsItsTableAndWritesCsvPngAndMarkdown(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("deg");
    Cli.Run r = tiny(out).assertOk();
    assertTrue(r.out().contains("experiment degeneracy (quick)"), r.out());
    assertTrue(r.out().contains("| method | n_h | rank at start | max rank |"), r.out());
    assertTrue(r.out().contains("| partial-identity | 300 | 0 |"), r.out());
    assertTrue(r.out().contains("- partial identity: max rank(W3 - I)"), r.out());
    assertTrue(r.out().contains("run 4/4  partial-identity, n_h 300: rank(W3 - I) 0 at the start"),
        r.out());
    for (String f : new String[] {"degeneracy.csv", "degeneracy.png", "degeneracy.md"}) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    // 3 methods at 800 + partial identity at 300, 3 measurements each
    assertEquals(1 + 4 * 3, Files.readAllLines(out.resolve("degeneracy.csv")).size());
    String md = Files.readString(out.resolve("degeneracy.md"));
    assertTrue(md.contains("- command: `zero-init experiment degeneracy --quick --limit 640"), md);
    assertTrue(md.contains("- ONNX Runtime: CPUExecutionProvider"), md);
  }

  @Test
  void refusesToReplaceAnExperimentsFilesWithoutForce(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("deg");
    Files.createDirectories(out);
    Files.writeString(out.resolve("degeneracy.md"), "mine");
    Cli.Run r = tiny(out);
    assertEquals(ExitCodes.USAGE, r.exit());
    assertTrue(r.err().contains("degeneracy.md: exists; use --force"), r.err());
    assertEquals("mine", Files.readString(out.resolve("degeneracy.md")));
    assertFalse(Files.exists(out.resolve("degeneracy.csv")));
  }

  @Test
  void badListsAndMissingDataAreOneLineErrors(@TempDir Path dir) {
    Cli.Run bad = Cli.run("experiment", "degeneracy", "--quick", "--hidden", "256,x", "-o",
        dir.resolve("a")).assertOneLineError(ExitCodes.USAGE);
    assertEquals("zero-init: --hidden: 'x' is not a whole number (give a comma-separated list such"
        + " as 1,2,3)", bad.errorLine());

    Cli.Run zero = Cli.run("experiment", "accuracy", "--quick", "--width", 0, "-o", dir.resolve("b"))
        .assertOneLineError(ExitCodes.USAGE);
    assertTrue(zero.errorLine().startsWith("zero-init: accuracy: --width must be above 0"),
        zero.err());

    Cli.Run residual = Cli.run("experiment", "accuracy", "--quick", "--zero-residual", "half",
        "-o", dir.resolve("r")).assertOneLineError(ExitCodes.USAGE);
    assertEquals("zero-init: --zero-residual: 'half' is not one of zero-last, plain",
        residual.errorLine());
    Cli.Run method = Cli.run("experiment", "accuracy", "--quick", "--methods", "zero",
        "-o", dir.resolve("m")).assertOneLineError(ExitCodes.USAGE);
    assertTrue(method.errorLine().contains("zero is not a random method"), method.err());

    Cli.Run noData = tiny(dir.resolve("c"), "--data", dir.resolve("nowhere"));
    noData.assertOneLineError(ExitCodes.IO);
    assertTrue(noData.errorLine().contains("nowhere"), noData.err());
    assertFalse(Files.exists(dir.resolve("c")), "no output folder for a failed experiment");

    if (dev.zeroinit.verify.OrtRuntime.cudaUnavailableReason() != null) {
      Cli.Run cuda = Cli.run("experiment", "degeneracy", "--quick", "--limit", 640, "--device",
          "cuda", "-o", dir.resolve("g"));
      assertEquals(ExitCodes.DEVICE_UNAVAILABLE, cuda.exit(), cuda.err());
      assertTrue(cuda.err().contains("--device cuda: CUDA cannot be used here"), cuda.err());
      assertFalse(Files.exists(dir.resolve("g")), "nothing written");
    }

    Cli.Run none = Cli.run("experiment").assertOneLineError(ExitCodes.USAGE);
    assertTrue(none.errorLine().contains("missing NAME"), none.err());
  }
}
