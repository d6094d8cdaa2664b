package dev.zeroinit.experiments;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The experiments' charts, drawn with JFreeChart without a display: one or more panels stacked over
 * a shared x axis, each with its lines and an optional horizontal reference line (the input
 * dimension 784 of the degeneracy chart). Lines of one colour group share a colour (the seeds of a
 * method), so a chart of many runs stays readable.
 */
public final class LineChart {
  private static final Color[] PALETTE = {new Color(0x1F77B4), new Color(0xD62728),
      new Color(0x2CA02C), new Color(0xFF7F0E), new Color(0x9467BD), new Color(0x8C564B),
      new Color(0xE377C2), new Color(0x7F7F7F), new Color(0x17BECF)};

  private LineChart() {}

  /**
   * One line.
   *
   * @param name its legend entry
   * @param colour index into the palette (lines of one group share it)
   * @param dashed drawn dashed (a variant of the group, e.g. no warm-up)
   */
  public record Line(String name, int colour, boolean dashed, double[] x, double[] y) {
    public Line {
      if (x.length != y.length) {
        throw new IllegalArgumentException(x.length + " x values, " + y.length + " y values");
      }
    }
  }

  /**
   * One panel.
   *
   * @param yLabel the y axis label
   * @param lines its lines
   * @param reference a horizontal line's value, or NaN for none
   * @param referenceLabel the reference line's label
   * @param includeZero whether the y axis starts at 0
   */
  public record Panel(String yLabel, List<Line> lines, double reference, String referenceLabel,
      boolean includeZero) {
    public Panel(String yLabel, List<Line> lines) {
      this(yLabel, lines, Double.NaN, "", false);
    }
  }

  /** The chart as PNG bytes. */
  public static byte[] png(String title, String xLabel, List<Panel> panels, int width, int height)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    NumberAxis x = new NumberAxis(xLabel);
    x.setAutoRangeIncludesZero(false);
    boolean whole = panels.stream().flatMap(p -> p.lines().stream())
        .allMatch(l -> Arrays.stream(l.x()).allMatch(v -> v == Math.rint(v)));
    if (whole) {
      x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(x);
    plot.setGap(10);
    Set<String> inLegend = new HashSet<>();
    for (Panel p : panels) {
      plot.add(panel(p, inLegend), 1);
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return out.toByteArray();
  }

  /** A panel; a line whose name an earlier panel already put in the legend is left out of it. */
  private static XYPlot panel(Panel p, Set<String> inLegend) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    List<String> names = new ArrayList<>();
    for (Line line : p.lines()) {
      // several runs may share a legend name; XYSeriesCollection needs distinct keys
      String key = line.name();
      for (int n = 2; names.contains(key); n++) {
        key = line.name() + " (" + n + ")";
      }
      names.add(key);
      XYSeries s = new XYSeries(key, false, true);
      for (int i = 0; i < line.x().length; i++) {
        if (Double.isFinite(line.y()[i])) {
          s.add(line.x()[i], line.y()[i]);
        }
      }
      int index = data.getSeriesCount();
      data.addSeries(s);
      r.setSeriesPaint(index, PALETTE[Math.floorMod(line.colour(), PALETTE.length)]);
      r.setSeriesStroke(index, line.dashed()
          ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
              new float[] {6f, 4f}, 0f)
          : new BasicStroke(2f));
      r.setSeriesShapesVisible(index, line.x().length <= 30);
      r.setSeriesVisibleInLegend(index, inLegend.add(key));
    }
    NumberAxis y = new NumberAxis(p.yLabel());
    y.setAutoRangeIncludesZero(p.includeZero());
    XYPlot plot = new XYPlot(data, null, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xDDDDDD));
    plot.setRangeGridlinePaint(new Color(0xDDDDDD));
    if (Double.isFinite(p.reference())) {
      ValueMarker m = new ValueMarker(p.reference(), Color.BLACK, new BasicStroke(1.5f,
          BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 3f}, 0f));
      m.setLabel(p.referenceLabel());
      m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      m.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
      plot.addRangeMarker(m);
      // keep the reference line in view even when every line stays far below it
      y.setAutoRangeIncludesZero(true);
      double max = p.reference();
      for (Line line : p.lines()) {
        for (double v : line.y()) {
          if (Double.isFinite(v)) {
            max = Math.max(max, v);
          }
        }
      }
      y.setRange(0, max * 1.08);
    }
    return plot;
  }
}
