package dev.zeroinit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zeroinit.init.batch.BatchResult;
import dev.zeroinit.init.batch.ModelOutcome;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The outcome of a batch as a text table, JSON ({@code --report}), JUnit XML ({@code --junit}, one
 * test case per model; written with the JDK's StAX writer, which escapes) and Markdown ({@code
 * --markdown}).
 */
final class BatchReports {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int MAX_REASON = 100;

  private BatchReports() { }

  /** The one-line reason of a failed or not-run model, else its reason or "". */
  static String reason(ModelOutcome o) {
    if (o.error() != null) {
      String line = ErrorHandler.classify(o.error()).line();
      String prefix = o.input().toString() + ": ";
      return line.startsWith(prefix) ? line.substring(prefix.length()) : line;
    }
    return o.reason() == null ? "" : o.reason();
  }

  /** The verdict cell: ok, up to date, FAILED: reason, not run. */
  static String verdict(ModelOutcome o) {
    return o.status() == ModelOutcome.Status.FAILED ? "FAILED: " + reason(o) : o.status().label();
  }

  private static List<String[]> rows(BatchResult r) {
    List<String[]> rows = new ArrayList<>();
    for (ModelOutcome o : r.outcomes()) {
      boolean planned = o.tensorsRewritten() >= 0;
      rows.add(new String[] {o.path(), o.inputBytes() < 0 ? "-" : Sizes.human(o.inputBytes()),
          planned ? String.valueOf(o.tensorsRewritten()) : "-",
          planned ? String.valueOf(o.tensorsSkipped()) : "-",
          o.status() == ModelOutcome.Status.NOT_RUN ? "-" : Sizes.seconds(o.nanos()), verdict(o)});
    }
    return rows;
  }

  private static final String[] HEADER = {"model", "size", "rewritten", "skipped", "time", "verdict"};

  /** An aligned text table, one row per model. */
  static String table(BatchResult r) {
    if (r.outcomes().isEmpty()) {
      return "";
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    for (String[] row : rows(r)) {
      row[5] = clip(row[5], MAX_REASON);
      rows.add(row);
    }
    int[] w = new int[HEADER.length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        w[c] = Math.max(w[c], row[c].length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        boolean right = c >= 1 && c <= 4;
        String cell = right ? " ".repeat(w[c] - row[c].length()) + row[c]
            : row[c] + (c == row.length - 1 ? "" : " ".repeat(w[c] - row[c].length()));
        line.append(cell).append(c == row.length - 1 ? "" : "  ");
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }

  /** e.g. {@code 12 models: 10 ok, 1 up to date, 1 FAILED in 3.21 s (memory budget 1.5 GB, at most 600 MB reserved)}. */
  static String totals(BatchResult r) {
    List<String> parts = new ArrayList<>();
    for (ModelOutcome.Status s : ModelOutcome.Status.values()) {
      long n = r.count(s);
      if (n > 0 || s == ModelOutcome.Status.REWRITTEN) {
        parts.add(n + " " + s.label());
      }
    }
    int n = r.outcomes().size();
    return n + " model" + (n == 1 ? "" : "s") + ": " + String.join(", ", parts) + " in "
        + Sizes.seconds(r.nanos()) + " (memory budget " + Sizes.human(r.memoryBudget()) + ", at most "
        + Sizes.human(r.peakReserved()) + " reserved at once)";
  }

  static byte[] json(BatchResult r, Path in, Path out, Map<String, Object> options) throws Exception {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("tool", "zero-init");
    root.put("version", Version.get());
    root.put("command", "batch");
    root.put("input", in.toString());
    root.put("output", out.toString());
    root.put("options", options);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("found", r.found());
    summary.put("selected", r.outcomes().size());
    summary.put("rewritten", r.count(ModelOutcome.Status.REWRITTEN));
    summary.put("upToDate", r.count(ModelOutcome.Status.UP_TO_DATE));
    summary.put("failed", r.count(ModelOutcome.Status.FAILED));
    summary.put("notRun", r.count(ModelOutcome.Status.NOT_RUN));
    summary.put("seconds", r.nanos() / 1e9);
    summary.put("memoryBudget", r.memoryBudget());
    summary.put("peakReserved", r.peakReserved());
    root.put("summary", summary);
    List<Map<String, Object>> models = new ArrayList<>();
    for (ModelOutcome o : r.outcomes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", o.path());
      m.put("output", o.output().toString());
      m.put("status", o.status().name().toLowerCase(Locale.ROOT).replace('_', '-'));
      if (o.error() != null) {
        ErrorHandler.Failure f = ErrorHandler.classify(o.error());
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("kind", f.kind());
        e.put("exitCode", f.code());
        e.put("message", reason(o));
        m.put("error", e);
      } else if (o.reason() != null) {
        m.put("reason", o.reason());
      }
      m.put("inputBytes", o.inputBytes());
      if (o.tensorsRewritten() >= 0) {
        m.put("tensorsRewritten", o.tensorsRewritten());
        m.put("tensorsSkipped", o.tensorsSkipped());
        m.put("bytesRewritten", o.bytesRewritten());
      }
      if (o.status() == ModelOutcome.Status.REWRITTEN) {
        m.put("bytesWritten", o.bytesWritten());
        m.put("dataFiles", o.dataFiles().stream().map(Path::toString).toList());
        m.put("externalData", o.layout());
      }
      m.put("seconds", o.nanos() / 1e9);
      m.put("inputSha256", o.inputSha256());
      m.put("footprintEstimate", o.footprint());
      m.put("notes", o.notes());
      models.add(m);
    }
    root.put("models", models);
    return JSON.writeValueAsBytes(root);
  }

  /**
   * JUnit XML: one {@code testsuite} with one {@code testcase} per model (name = relative path);
   * failures as {@code <failure>}, up-to-date and not-run models as {@code <skipped>}.
   */
  static byte[] junit(BatchResult r, Path in, Map<String, Object> options) throws XMLStreamException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(bytes, "UTF-8");
    long failures = r.count(ModelOutcome.Status.FAILED);
    long skipped = r.count(ModelOutcome.Status.UP_TO_DATE) + r.count(ModelOutcome.Status.NOT_RUN);
    String tests = String.valueOf(r.outcomes().size());
    String time = secs(r.nanos());
    x.writeStartDocument("UTF-8", "1.0");
    x.writeCharacters("\n");
    x.writeStartElement("testsuites");
    x.writeAttribute("name", "zero-init batch");
    x.writeAttribute("tests", tests);
    x.writeAttribute("failures", String.valueOf(failures));
    x.writeAttribute("errors", "0");
    x.writeAttribute("skipped", String.valueOf(skipped));
    x.writeAttribute("time", time);
    x.writeCharacters("\n  ");
    x.writeStartElement("testsuite");
    x.writeAttribute("name", clean("zero-init batch " + in));
    x.writeAttribute("tests", tests);
    x.writeAttribute("failures", String.valueOf(failures));
    x.writeAttribute("errors", "0");
    x.writeAttribute("skipped", String.valueOf(skipped));
    x.writeAttribute("time", time);
    x.writeAttribute("timestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    x.writeCharacters("\n    ");
    x.writeStartElement("properties");
    x.writeCharacters("\n");
    x.writeCharacters("      ");
    property(x, "zero-init.version", Version.get());
    for (Map.Entry<String, Object> e : options.entrySet()) {
      x.writeCharacters("\n      ");
      property(x, e.getKey(), String.valueOf(e.getValue()));
    }
    x.writeCharacters("\n    ");
    x.writeEndElement();
    for (ModelOutcome o : r.outcomes()) {
      x.writeCharacters("\n    ");
      boolean empty = o.status() == ModelOutcome.Status.REWRITTEN && o.notes().isEmpty();
      if (empty) {
        x.writeEmptyElement("testcase");
      } else {
        x.writeStartElement("testcase");
      }
      x.writeAttribute("classname", "zero-init.batch");
      x.writeAttribute("name", clean(o.path()));
      x.writeAttribute("time", secs(o.nanos()));
      if (empty) {
        continue;
      }
      switch (o.status()) {
        case FAILED -> {
          ErrorHandler.Failure f = ErrorHandler.classify(o.error());
          x.writeCharacters("\n      ");
          x.writeStartElement("failure");
          x.writeAttribute("message", clean(reason(o)));
          x.writeAttribute("type", f.kind());
          x.writeCharacters(clean(f.line()));
          x.writeEndElement();
        }
        case UP_TO_DATE, NOT_RUN -> {
          x.writeCharacters("\n      ");
          x.writeEmptyElement("skipped");
          x.writeAttribute("message", clean(o.status().label() + ": " + reason(o)));
        }
        default -> { }
      }
      if (!o.notes().isEmpty()) {
        x.writeCharacters("\n      ");
        x.writeStartElement("system-out");
        x.writeCharacters(clean(String.join("\n", o.notes())));
        x.writeEndElement();
      }
      x.writeCharacters("\n    ");
      x.writeEndElement();
    }
    x.writeCharacters("\n  ");
    x.writeEndElement();
    x.writeCharacters("\n");
    x.writeEndElement();
    x.writeCharacters("\n");
    x.writeEndDocument();
    x.close();
    return bytes.toByteArray();
  }

  private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
    x.writeEmptyElement("property");
    x.writeAttribute("name", clean(name));
    x.writeAttribute("value", clean(value));
  }

  /** The summary table in Markdown. */
  static byte[] markdown(BatchResult r, Path in, Path out) {
    StringBuilder b = new StringBuilder();
    b.append("## zero-init batch: `").append(md(in.toString())).append("` -> `").append(md(out.toString()))
        .append("`\n\n");
    b.append(md(totals(r))).append("\n\n");
    b.append("| model | size | tensors rewritten | tensors skipped | time | verdict |\n");
    b.append("|---|---:|---:|---:|---:|---|\n");
    for (String[] row : rows(r)) {
      b.append("| `").append(md(row[0]).replace("`", "'")).append("` | ").append(row[1]).append(" | ")
          .append(row[2]).append(" | ").append(row[3]).append(" | ").append(row[4]).append(" | ")
          .append(md(row[5])).append(" |\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String md(String s) {
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
  }

  private static String secs(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
  }

  /** Drops the characters XML 1.0 cannot hold at all (control characters but tab, CR, LF; lone surrogates). */
  static String clean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF)
          || (c >= 0xE000 && c <= 0xFFFD);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else {
        b.append(ok ? c : '?');
      }
    }
    return b.toString();
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
