package dev.zeroinit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.init.InitMethod;
import dev.zeroinit.onnxio.testing.Fixtures;
import dev.zeroinit.verify.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --quick} version of every experiment, checking the mechanics (files written, ranks
 * integers in range and measured when asked, ZerO runs identical on one thread), not the scientific
 * outcome.
 */
class QuickExperimentsTest {
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

  static Path fashionMnist() {
    return Fixtures.requireDirectory(Path.of(System.getProperty("zeroinit.fashion.mnist",
        ExperimentSettings.FASHION_MNIST.toString())),
        "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
  }

  static ExperimentSettings settings(Path out) {
    return new ExperimentSettings(fashionMnist(), out, true, Device.CPU, 1, false, "test");
  }

  /** The rows of a CSV file without its header (RFC 4180 quotes; no line breaks in cells). */
  static List<String[]> csv(Path file) throws Exception {
    return Files.readAllLines(file).stream().skip(1).map(QuickExperimentsTest::cells).toList();
  }

  static String[] cells(String line) {
    List<String> cells = new java.util.ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted && ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
        cell.append('"');
        i++;
      } else if (ch == '"') {
        quoted = !quoted;
      } else if (ch == ',' && !quoted) {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(ch);
      }
    }
    cells.add(cell.toString());
    return cells.toArray(String[]::new);
  }

  static void assertFiles(Outcome o, Path out, String name) throws Exception {
    assertEquals(ExperimentFiles.of(out, name), o.files());
    for (Path f : o.files()) {
      assertTrue(Files.size(f) > 0, f + " is empty");
    }
    byte[] png = Files.readAllBytes(out.resolve(name + ".png"));
    assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 4));
    String md = Files.readString(out.resolve(name + ".md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("## Verdict"), md);
    assertTrue(md.contains("](" + name + ".png)"), md);
    assertTrue(md.contains("- command: `test`"), md);
    for (String v : o.verdicts()) {
      assertTrue(md.contains(v), v);
    }
  }

  @Test
  void degeneracyMeasuresRankOfW3MinusIdentityEveryNIterations(@TempDir Path out)
      throws Exception {
    DegeneracyExperiment.Options o = DegeneracyExperiment.Options.quick();
    Outcome r = DegeneracyExperiment.run(settings(out), o, ExperimentListener.NONE);
    assertFiles(r, out, DegeneracyExperiment.NAME);
    // partial identity, zero, kaiming at 1024, then partial identity at 256
    assertEquals(4, r.table().rows().size());
    Map<String, Integer> pointsPerRun = new HashMap<>();
    for (String[] row : csv(out.resolve("degeneracy.csv"))) {
      String method = row[0];
      int hidden = Integer.parseInt(row[1]);
      long iteration = Long.parseLong(row[2]);
      int rank = Integer.parseInt(row[3]);
      assertTrue(rank >= 0 && rank <= hidden, "rank " + rank + " of a " + hidden + "-square");
      assertEquals(0, iteration % o.every(), "iteration " + iteration);
      pointsPerRun.merge(method + "/" + hidden, 1, Integer::sum);
      if (iteration == 0 && !method.equals("kaiming-normal")) {
        // W3 is the exact identity for both deterministic methods (a square layer)
        assertEquals(0, rank, method + " at n_h " + hidden);
      }
      if (iteration == 0 && method.equals("kaiming-normal")) {
        assertEquals(hidden, rank, "a Gaussian W3 - I has full rank");
      }
    }
    // 6,400 images, batch 64: iterations 0, 25, 50, 75, 100
    assertEquals(Map.of("partial-identity/1024", 5, "zero/1024", 5, "kaiming-normal/1024", 5,
        "partial-identity/256", 5), pointsPerRun);
  }

  @Test
  void accuracyRunsEveryMethodAndZerOTwiceIdentically(@TempDir Path out) throws Exception {
    AccuracyExperiment.Options o = AccuracyExperiment.Options.quick();
    Outcome r = AccuracyExperiment.run(settings(out), o, ExperimentListener.NONE);
    assertFiles(r, out, AccuracyExperiment.NAME);
    List<String[]> rows = csv(out.resolve("accuracy.csv"));
    // 2 ZerO + 2 baselines x 2 seeds + ZerO without warm-up, 2 epochs each (unless one diverged)
    long runs = rows.stream().map(x -> x[0]).distinct().count();
    assertEquals(7, runs);
    for (String[] row : rows) {
      double acc = Double.parseDouble(row[9]);
      assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
    }
    List<String[]> zero1 = rows.stream().filter(x -> x[0].equals("zero run 1")).toList();
    List<String[]> zero2 = rows.stream().filter(x -> x[0].equals("zero run 2")).toList();
    assertEquals(2, zero1.size());
    for (int i = 0; i < zero1.size(); i++) {
      // every column but the wall time
      assertArrayEquals(Arrays.copyOfRange(zero1.get(i), 1, 10),
          Arrays.copyOfRange(zero2.get(i), 1, 10));
    }
    assertTrue(r.verdicts().get(0).startsWith("ZerO is deterministic: its 2 runs are identical"),
        r.verdicts().get(0));
    assertEquals(List.of("zero", "kaiming-normal", "xavier-normal", "zero"),
        r.table().rows().stream().map(x -> x.get(0)).toList());
  }

  @Test
  void reproducibilityFindsOneThreadZerORunsBitwiseIdenticalAndSeedsApart(@TempDir Path out)
      throws Exception {
    ReproducibilityExperiment.Options o = ReproducibilityExperiment.Options.quick();
    Outcome r = ReproducibilityExperiment.run(settings(out), o, ExperimentListener.NONE);
    assertFiles(r, out, ReproducibilityExperiment.NAME);
    // 2 thread counts x 2 ZerO runs + 2 seeds
    assertEquals(6, r.table().rows().size());
    assertTrue(r.verdicts().get(0).startsWith("ZerO with 1 thread, the same command twice:"
        + " bitwise identical weights"), r.verdicts().get(0));
    assertTrue(r.verdicts().get(2).startsWith("ZerO with 1 thread against 2 threads:"),
        r.verdicts().get(2));
    List<String> digests = r.table().rows().stream().map(x -> x.get(4)).toList();
    assertEquals(digests.get(0), digests.get(1));
    assertTrue(!digests.get(4).equals(digests.get(5)), "two seeds, two sets of weights");
    assertTrue(r.verdicts().get(r.verdicts().size() - 1).startsWith(
        InitMethod.KAIMING_NORMAL.optionName() + " with 2 seeds"), r.verdicts().toString());
    long steps = csv(out.resolve("reproducibility.csv")).stream()
        .filter(x -> x[0].equals("zero run 1, 1 thread")).count();
    assertEquals(o.steps(), steps);
  }

  @Test
  void relativeDistanceIsZeroForEqualWeightsAndScaleFree() {
    double[] a = {1, 2, 3};
    assertEquals(0, ReproducibilityExperiment.relativeDistance(a, a.clone()));
    double[] b = {2, 4, 6};
    double[] c = {4, 8, 12};
    assertEquals(ReproducibilityExperiment.relativeDistance(a, b),
        ReproducibilityExperiment.relativeDistance(b, c), 1e-15);
  }

  @Test
  void degeneracyPlansTheComparisonThenTheRestOfTheSweep() {
    var plan = DegeneracyExperiment.plan(DegeneracyExperiment.Options.full());
    assertEquals(List.of(Map.entry(InitMethod.PARTIAL_IDENTITY, 2048),
        Map.entry(InitMethod.ZERO, 2048), Map.entry(InitMethod.KAIMING_NORMAL, 2048),
        Map.entry(InitMethod.PARTIAL_IDENTITY, 256), Map.entry(InitMethod.PARTIAL_IDENTITY, 512),
        Map.entry(InitMethod.PARTIAL_IDENTITY, 1024)), plan);
  }
}
