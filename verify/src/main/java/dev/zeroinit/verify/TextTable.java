package dev.zeroinit.verify;

import java.util.List;

/** Aligned text columns for the terminal reports (the signal check's and the gradient check's). */
public final class TextTable {
  private TextTable() { }

  /**
   * Appends {@code rows} (the first is the header, if any) as aligned columns two spaces apart;
   * {@code right[c]} right-aligns column c; trailing blanks are stripped.
   */
  public static void append(StringBuilder out, List<String[]> rows, boolean[] right) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] row : rows) {
      for (int c = 0; c < cols; c++) {
        w[c] = Math.max(w[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        String cell = row[c];
        String pad = " ".repeat(w[c] - cell.length());
        line.append(c == 0 ? "" : "  ").append(right[c] ? pad + cell : cell + pad);
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
  }
}
