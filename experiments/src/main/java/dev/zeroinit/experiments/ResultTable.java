package dev.zeroinit.experiments;

import java.util.ArrayList;
import java.util.List;

/**
 * A table of an experiment's results, written as CSV (RFC 4180 quoting, for spreadsheets and
 * pandas) and as a GitHub Markdown table (for the summary). Cells are strings, formatted by the
 * caller.
 */
public final class ResultTable {
  private final List<String> columns;
  private final List<List<String>> rows = new ArrayList<>();

  public ResultTable(String... columns) {
    this.columns = List.of(columns);
  }

  /** Adds a row; it must have one cell per column. */
  public ResultTable add(Object... cells) {
    if (cells.length != columns.size()) {
      throw new IllegalArgumentException(cells.length + " cells for " + columns.size() + " columns");
    }
    List<String> row = new ArrayList<>();
    for (Object c : cells) {
      row.add(String.valueOf(c));
    }
    rows.add(row);
    return this;
  }

  public List<String> columns() {
    return columns;
  }

  public List<List<String>> rows() {
    return List.copyOf(rows);
  }

  /** The CSV text, header first, LF line ends. */
  public String csv() {
    StringBuilder b = new StringBuilder();
    csvLine(b, columns);
    for (List<String> r : rows) {
      csvLine(b, r);
    }
    return b.toString();
  }

  /** The Markdown table; columns whose every cell looks numeric are right-aligned. */
  public String markdown() {
    StringBuilder b = new StringBuilder("|");
    for (String c : columns) {
      b.append(' ').append(escape(c)).append(" |");
    }
    b.append("\n|");
    for (int i = 0; i < columns.size(); i++) {
      b.append(numeric(i) ? " ---: |" : " --- |");
    }
    b.append('\n');
    for (List<String> r : rows) {
      b.append('|');
      for (String c : r) {
        b.append(' ').append(escape(c)).append(" |");
      }
      b.append('\n');
    }
    return b.toString();
  }

  private boolean numeric(int column) {
    if (rows.isEmpty()) {
      return false;
    }
    for (List<String> r : rows) {
      if (!r.get(column).matches("[-+]?[0-9][0-9.,eE+\\-]*%?( ± [0-9.]+%?)?")) {
        return false;
      }
    }
    return true;
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  private static void csvLine(StringBuilder b, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      String c = cells.get(i);
      if (c.contains(",") || c.contains("\"") || c.contains("\n")) {
        b.append('"').append(c.replace("\"", "\"\"")).append('"');
      } else {
        b.append(c);
      }
    }
    b.append('\n');
  }
}
