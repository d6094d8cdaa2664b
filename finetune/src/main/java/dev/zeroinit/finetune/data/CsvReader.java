package dev.zeroinit.finetune.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a delimited text file of numeric features and a target column, one sample per row. The
 * separator is {@code ,}, {@code ;} or a tab (the most frequent in the first row unless given); fields
 * may be quoted ({@code "..."}, {@code ""} for a quote) but not span lines; blank lines are skipped.
 * The first row is a header when the options say so, or (by default) when it has a non-numeric field
 * where the second row has a number. The target is the last column unless
 * {@link DataOptions#labelColumn()} names others.
 *
 * <p>A single target column gives class labels when every value is a whole number 0 or more, class
 * names (numbered in sorted order) when some value is not a number, and regression values otherwise;
 * {@link DataOptions#targetKind()} can force classes or values. Several target columns give a
 * regression vector.
 */
final class CsvReader {
  /** The largest class label accepted. */
  static final int MAX_LABEL = (1 << 24) - 1;

  private CsvReader() {}

  /**
   * The table read: {@code count} rows of {@code features} values, and the target fields as text
   * ({@code width} a row) with the line each row came from; {@link #targets} turns them into
   * targets.
   */
  record Table(Path file, int count, int features, float[] x, List<String> targetText, int width,
      int[] lines, List<String> header, int[] targetColumns) {}

  /** Reads {@code file} (UTF-8 text, gzip-compressed or not), at most {@code limit} rows (0: all). */
  static Table read(Path file, DataOptions options, int limit)
      throws IOException, DatasetException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      if (FileSource.isGzip(file)) {
        in = new GZIPInputStream(in, 1 << 16);
      }
      CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, utf8), 1 << 16)) {
        return new Parse(file, reader, options, limit).run();
      }
    } catch (CharacterCodingException e) {
      throw new DatasetException(file, "not UTF-8 text (" + e + ")", e);
    } catch (ZipException | EOFException e) {
      throw new DatasetException(file, "corrupt or truncated gzip data (" + e.getMessage() + ")",
          e);
    } finally {
      in.close();
    }
  }

  private static final class Parse {
    private final Path file;
    private final BufferedReader reader;
    private final DataOptions options;
    private final int limit;
    private int lineNumber;
    private char delimiter;

    Parse(Path file, BufferedReader reader, DataOptions options, int limit) {
      this.file = file;
      this.reader = reader;
      this.options = options;
      this.limit = limit;
    }

    Table run() throws IOException, DatasetException {
      String first = nextLine();
      if (first == null) {
        throw new DatasetException(file, "empty file: no rows");
      }
      if (first.startsWith("\uFEFF")) {
        first = first.substring(1);
      }
      int firstLine = lineNumber;
      delimiter = options.delimiter() != 0 ? options.delimiter() : guessDelimiter(first);
      List<String> row1 = split(first);
      int columns = row1.size();
      String second = nextLine();
      int secondLine = lineNumber;
      List<String> row2 = second == null ? null : split(second);

      boolean header;
      switch (options.header()) {
        case PRESENT:
          header = true;
          break;
        case ABSENT:
          header = false;
          break;
        default:
          header = looksLikeHeader(row1, row2);
      }
      List<String> names = header ? row1 : null;
      int[] targetColumns = targetColumns(columns, names);
      boolean[] isTarget = new boolean[columns];
      for (int c : targetColumns) {
        isTarget[c] = true;
      }
      int features = columns - targetColumns.length;
      if (features == 0) {
        throw new DatasetException(file, "no feature columns: all " + columns
            + " columns are targets");
      }

      FloatList x = new FloatList();
      List<String> targets = new ArrayList<>();
      IntList lines = new IntList();
      int count = 0;
      if (!header) {
        addRow(row1, firstLine, columns, isTarget, names, x, targets, lines);
        count++;
      }
      List<String> row = row2;
      int rowLine = secondLine;
      while (row != null && (limit == 0 || count < limit)) {
        addRow(row, rowLine, columns, isTarget, names, x, targets, lines);
        count++;
        String next = nextLine();
        rowLine = lineNumber;
        row = next == null ? null : split(next);
      }
      if (count == 0) {
        throw new DatasetException(file, "no data rows after the header");
      }
      return new Table(file, count, features, x.toArray(), targets, targetColumns.length,
          lines.toArray(), names, targetColumns);
    }

    private void addRow(List<String> row, int line, int columns, boolean[] isTarget,
        List<String> names, FloatList x, List<String> targets, IntList lines)
        throws DatasetException {
      if (row.size() != columns) {
        throw new DatasetException(file, "line " + line + " has " + row.size()
            + " fields, the first row has " + columns);
      }
      if (x.size() > FileSource.MAX_ARRAY - columns) {
        throw new DatasetException(file, "more values than this reader holds in memory");
      }
      for (int c = 0; c < columns; c++) {
        String field = row.get(c).trim();
        if (isTarget[c]) {
          targets.add(field);
          continue;
        }
        float v;
        try {
          v = Float.parseFloat(field);
        } catch (NumberFormatException e) {
          v = Float.NaN;
        }
        if (!Float.isFinite(v)) {
          throw new DatasetException(file, "line " + line + ", column " + (c + 1)
              + (names == null ? "" : " (" + names.get(c) + ")") + ": '" + field
              + "' is not a finite number");
        }
        x.add(v);
      }
      lines.add(line);
    }

    private int[] targetColumns(int columns, List<String> names) throws DatasetException {
      String spec = options.labelColumn();
      if (spec == null || spec.isBlank()) {
        if (columns < 2) {
          throw new DatasetException(file, "only one column: need features and a label");
        }
        return new int[] {columns - 1};
      }
      String[] items = spec.split(",");
      int[] out = new int[items.length];
      for (int k = 0; k < items.length; k++) {
        String item = items[k].trim();
        int c = names == null ? -1 : names.indexOf(item);
        if (c < 0) {
          try {
            int index = Integer.parseInt(item);
            c = index < 0 ? columns + index : index;
            if (c < 0 || c >= columns) {
              throw new DatasetException(file, "--label-column " + item + " is outside the "
                  + columns + " columns (0 to " + (columns - 1) + ", or -1 for the last)");
            }
          } catch (NumberFormatException e) {
            throw new DatasetException(file, "--label-column '" + item + "' is not "
                + (names == null ? "a column number (the file has no header row)"
                    : "a column of the header " + names));
          }
        }
        for (int j = 0; j < k; j++) {
          if (out[j] == c) {
            throw new DatasetException(file, "--label-column names column " + c + " twice");
          }
        }
        out[k] = c;
      }
      return out;
    }

    private boolean looksLikeHeader(List<String> row1, List<String> row2) {
      if (row2 == null) {
        for (String f : row1) {
          if (!isNumber(f)) {
            return true;
          }
        }
        return false;
      }
      for (int c = 0; c < Math.min(row1.size(), row2.size()); c++) {
        if (!isNumber(row1.get(c)) && isNumber(row2.get(c))) {
          return true;
        }
      }
      return false;
    }

    private String nextLine() throws IOException {
      String line;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (!line.isBlank()) {
          return line;
        }
      }
      return null;
    }

    private List<String> split(String line) throws DatasetException {
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      int i = 0;
      int n = line.length();
      while (true) {
        field.setLength(0);
        int start = i;
        while (i < n && line.charAt(i) == ' ') {
          i++;
        }
        if (i < n && line.charAt(i) == '"') {
          i++;
          while (true) {
            if (i >= n) {
              throw new DatasetException(file, "line " + lineNumber + ": unterminated quoted "
                  + "field (fields cannot span lines)");
            }
            char ch = line.charAt(i++);
            if (ch == '"') {
              if (i < n && line.charAt(i) == '"') {
                field.append('"');
                i++;
              } else {
                break;
              }
            } else {
              field.append(ch);
            }
          }
          while (i < n && line.charAt(i) == ' ') {
            i++;
          }
          if (i < n && line.charAt(i) != delimiter) {
            throw new DatasetException(file, "line " + lineNumber + ": text after a quoted field");
          }
        } else {
          i = start;
          while (i < n && line.charAt(i) != delimiter) {
            field.append(line.charAt(i++));
          }
        }
        fields.add(field.toString());
        if (i >= n) {
          return fields;
        }
        i++; // the delimiter
      }
    }
  }

  /**
   * The targets of {@code tables} (a training file and its test file), decided together so that
   * both get the same kind and the same class numbering.
   */
  static Dataset.Targets[] targets(List<Table> tables, DataOptions.TargetKind kind)
      throws DatasetException {
    int width = tables.get(0).width();
    Dataset.Targets[] out = new Dataset.Targets[tables.size()];
    if (width > 1 || kind == DataOptions.TargetKind.VALUES) {
      if (width > 1 && kind == DataOptions.TargetKind.CLASSES) {
        throw new DatasetException(tables.get(0).file(), "class labels need one target column, "
            + width + " were given");
      }
      for (int t = 0; t < out.length; t++) {
        Table table = tables.get(t);
        List<String> text = table.targetText();
        float[] values = new float[text.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = parseFinite(text.get(i));
          if (!Float.isFinite(values[i])) {
            throw badTarget(table, i, "is not a finite number");
          }
        }
        out[t] = Dataset.Targets.values(values, width);
      }
      return out;
    }
    // One column: whole numbers >= 0 are class labels; other numbers regression values (unless
    // classes were asked for); any text makes them all class names.
    boolean allNumeric = true;
    Table firstNonClass = null;
    int firstNonClassRow = -1;
    for (Table table : tables) {
      for (int i = 0; i < table.count() && allNumeric; i++) {
        double v = parseDouble(table.targetText().get(i));
        if (!Double.isFinite(v)) {
          allNumeric = false;
        } else if (firstNonClass == null && !(v >= 0 && v <= MAX_LABEL && v == Math.rint(v))) {
          firstNonClass = table;
          firstNonClassRow = i;
        }
      }
    }
    if (allNumeric && firstNonClass == null) {
      int max = -1;
      int[][] labels = new int[out.length][];
      for (int t = 0; t < out.length; t++) {
        List<String> text = tables.get(t).targetText();
        labels[t] = new int[text.size()];
        for (int i = 0; i < labels[t].length; i++) {
          labels[t][i] = (int) parseDouble(text.get(i));
          max = Math.max(max, labels[t][i]);
        }
      }
      for (int t = 0; t < out.length; t++) {
        out[t] = Dataset.Targets.classes(labels[t], max + 1, null);
      }
      return out;
    }
    if (allNumeric) {
      if (kind == DataOptions.TargetKind.CLASSES) {
        throw badTarget(firstNonClass, firstNonClassRow,
            "is not a class label (a whole number from 0 to " + MAX_LABEL + ")");
      }
      for (int t = 0; t < out.length; t++) {
        List<String> text = tables.get(t).targetText();
        float[] values = new float[text.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) parseDouble(text.get(i));
        }
        out[t] = Dataset.Targets.values(values, 1);
      }
      return out;
    }
    // Class names, numbered in sorted order so the numbering does not depend on row order.
    TreeSet<String> names = new TreeSet<>();
    for (Table table : tables) {
      names.addAll(table.targetText());
    }
    List<String> classes = new ArrayList<>(names);
    for (int t = 0; t < out.length; t++) {
      List<String> text = tables.get(t).targetText();
      int[] labels = new int[text.size()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = Collections.binarySearch(classes, text.get(i));
      }
      out[t] = Dataset.Targets.classes(labels, classes.size(), classes);
    }
    return out;
  }

  private static DatasetException badTarget(Table table, int index, String what) {
    int c = table.targetColumns()[index % table.width()];
    return new DatasetException(table.file(), "line " + table.lines()[index / table.width()]
        + ", target column " + (c + 1)
        + (table.header() == null ? "" : " (" + table.header().get(c) + ")") + ": '"
        + table.targetText().get(index) + "' " + what);
  }

  private static float parseFinite(String s) {
    try {
      return Float.parseFloat(s);
    } catch (NumberFormatException e) {
      return Float.NaN;
    }
  }

  private static double parseDouble(String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  static boolean isNumber(String s) {
    try {
      Double.parseDouble(s.trim());
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  static char guessDelimiter(String line) {
    int commas = 0;
    int semicolons = 0;
    int tabs = 0;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted) {
        commas += c == ',' ? 1 : 0;
        semicolons += c == ';' ? 1 : 0;
        tabs += c == '\t' ? 1 : 0;
      }
    }
    if (tabs > commas && tabs >= semicolons) {
      return '\t';
    }
    return semicolons > commas ? ';' : ',';
  }

  /** A growing float array. */
  private static final class FloatList {
    private float[] a = new float[1 << 12];
    private int n;

    void add(float v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, (int) Math.min(FileSource.MAX_ARRAY, 2L * a.length));
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    float[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  /** A growing int array. */
  private static final class IntList {
    private int[] a = new int[1 << 10];
    private int n;

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, 2 * a.length);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }

    int size() {
      return n;
    }
  }
}
