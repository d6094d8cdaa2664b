package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dry-run} (a table, no files) and {@code --report} (the same plan as JSON). */
class DryRunAndReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void dryRunPrintsAHeaderAndOneRowPerPlanEntryAndWritesNothing() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    var before = TestFiles.listing(dir);
    String hash = TestFiles.sha256(in);

    Cli.Run r = Cli.run(in, "--dry-run").assertOk();

    assertEquals(before, TestFiles.listing(dir), "a dry run writes nothing");
    assertEquals(hash, TestFiles.sha256(in));
    List<String> rows = tableRows(r.out());
    assertTrue(rows.get(0).matches("tensor\\s+type\\s+shape\\s+read by\\s+rule\\s+P x Q\\s+how / why not"),
        rows.get(0));
    int initializers = TestFiles.load(in).getGraph().getInitializerCount();
    assertEquals(initializers, rows.size() - 1, "one row per weight-like initializer of the sample:\n" + r.out());
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("head.gemm.weight ") && l.contains("partial-identity")));
    assertTrue(r.out().contains("dry run, nothing written"), r.out());
  }

  @Test
  void dryRunRowsMatchTheReportEntries() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path report = dir.resolve("plan.json");
    Cli.Run r = Cli.run(in, "--dry-run", "--report", report).assertOk();
    JsonNode entries = JSON.readTree(report.toFile()).get("entries");
    List<String> rows = tableRows(r.out());
    assertEquals(entries.size(), rows.size() - 1);
    for (int i = 0; i < entries.size(); i++) {
      assertTrue(rows.get(i + 1).startsWith(entries.get(i).get("name").asText() + " "), rows.get(i + 1));
    }
    assertEquals(Set.of("model.onnx", "plan.json"), TestFiles.listing(dir), "only the report is written");
  }

  @Test
  void dryRunWithAnOutputIsAUsageError() {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Cli.run(in, "--dry-run", "-o", dir.resolve("x.onnx")).assertOneLineError(ExitCodes.USAGE);
    Cli.run(in, "--dry-run", "--in-place").assertOneLineError(ExitCodes.USAGE);
    assertEquals(Set.of("model.onnx"), TestFiles.listing(dir));
  }

  @Test
  void reportIsJsonWhoseSummaryCountsTheRewriteEntries() throws Exception {
    Path in = TestFiles.copySample(dir, "model.onnx");
    Path out = dir.resolve("out.onnx");
    Path report = dir.resolve("plan.json");

    Cli.run(in, "-o", out, "--report", report, "--exclude", "^layer3\\.1\\.").assertOk();

    JsonNode root = JSON.readTree(report.toFile());
    assertEquals("zero-init", root.get("tool").asText());
    assertEquals(Version.get(), root.get("version").asText());
    assertFalse(root.get("dryRun").asBoolean());
    assertEquals("paper", root.get("summary").get("hadamardScale").asText());
    JsonNode entries = root.get("entries");
    assertTrue(entries.isArray() && entries.size() > 0);
    int rewrites = 0;
    int skips = 0;
    for (JsonNode e : entries) {
      assertTrue(e.hasNonNull("name"), e::toString);
      assertTrue(e.get("shape").isArray(), e::toString);
      String action = e.get("action").asText();
      if (action.equals("rewrite")) {
        rewrites++;
        assertTrue(e.hasNonNull("rule") && !e.get("rule").asText().isEmpty(), e::toString);
      } else {
        assertEquals("skip", action, e::toString);
        skips++;
        assertTrue(e.hasNonNull("reason") && !e.get("reason").asText().isEmpty(), e::toString);
      }
    }
    assertEquals(rewrites, root.get("summary").get("tensorsRewritten").asInt());
    assertEquals(skips, root.get("summary").get("tensorsSkipped").asInt());
    assertTrue(skips > 0, "the --exclude made some skips");
    assertEquals(out.toString(), root.get("written").get("model").asText());
  }

  /** The table: the header line and the rows after it, up to the summary line. */
  static List<String> tableRows(String out) {
    List<String> rows = new ArrayList<>();
    boolean inTable = false;
    for (String line : out.lines().toList()) {
      if (line.startsWith("tensor ")) {
        inTable = true;
      } else if (line.isEmpty() || line.matches("\\d+ tensors rewritten .*")) {
        break; // the residual blocks section or the summary follow the table
      }
      if (inTable) {
        rows.add(line);
      }
    }
    assertFalse(rows.isEmpty(), "no table header in:\n" + out);
    return rows;
  }
}
