package dev.zeroinit.verify;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The per-layer chart ({@code --plot FILE.png}), drawn with JFreeChart without a display: RMS on a log
 * scale (top) and numerical rank (bottom) against depth (the probe's position in graph order), for the
 * model and, when given, the original. Tensors that are exactly zero have no place on a log axis and
 * are left out of the RMS curve (the subtitle counts them).
 */
public final class SignalPlot {
  private SignalPlot() { }

  /** The chart as PNG bytes, {@code width} x {@code height} pixels. */
  public static byte[] png(SignalReport r, SignalReport original, int width, int height) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection rms = new XYSeriesCollection();
    XYSeriesCollection rank = new XYSeriesCollection();
    int[] zeros = new int[1];
    add(rms, rank, "this model", r, zeros);
    if (original != null && original.verdict() != SignalReport.Verdict.NOT_RUNNABLE) {
      add(rms, rank, "original", original, zeros);
    }
    LogAxis rmsAxis = new LogAxis("RMS (log)");
    rmsAxis.setSmallestValue(1e-30);
    rmsAxis.setAutoRange(true);
    rmsAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // whole powers of ten
    XYPlot top = new XYPlot(rms, null, rmsAxis, renderer());
    NumberAxis rankAxis = new NumberAxis("rank");
    rankAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    rankAxis.setAutoRangeIncludesZero(true);
    XYLineAndShapeRenderer rankRenderer = renderer();
    rankRenderer.setDefaultSeriesVisibleInLegend(false); // the top plot's legend names both curves
    XYPlot bottom = new XYPlot(rank, null, rankAxis, rankRenderer);
    NumberAxis depth = new NumberAxis("depth (probed tensor, graph order)");
    depth.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(depth);
    plot.setGap(8);
    plot.add(top, 2);
    plot.add(bottom, 1);
    for (XYPlot p : new XYPlot[] {top, bottom}) {
      p.setBackgroundPaint(Color.WHITE);
      p.setDomainGridlinePaint(new Color(0xDDDDDD));
      p.setRangeGridlinePaint(new Color(0xDDDDDD));
    }
    JFreeChart chart = new JFreeChart("Signal through " + fileName(r.model()), JFreeChart.DEFAULT_TITLE_FONT,
        plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    String provider = r.provider() == null ? "" : r.provider().name() + ", ";
    chart.addSubtitle(new TextTitle(provider + "seed " + r.seed() + ", verdict " + r.verdict()
        + (zeros[0] > 0 ? "; " + zeros[0] + " all-zero tensors not drawn on the log scale" : "")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return out.toByteArray();
  }

  private static void add(XYSeriesCollection rms, XYSeriesCollection rank, String label, SignalReport r, int[] zeros) {
    XYSeries s = new XYSeries(label, false, true);
    XYSeries k = new XYSeries(label, false, true);
    for (SignalReport.Layer l : r.layers()) {
      double v = l.stats().rms();
      if (v > 0 && Double.isFinite(v)) {
        s.add(l.index(), v);
      } else {
        zeros[0]++;
      }
      if (l.stats().rank() >= 0) {
        k.add(l.index(), l.stats().rank());
      }
    }
    rms.addSeries(s);
    rank.addSeries(k);
  }

  private static XYLineAndShapeRenderer renderer() {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    r.setSeriesPaint(0, new Color(0x1F77B4));
    r.setSeriesPaint(1, new Color(0xFF7F0E));
    r.setSeriesStroke(0, new BasicStroke(2f));
    r.setSeriesStroke(1, new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
        new float[] {6f, 4f}, 0f));
    return r;
  }

  private static String fileName(String path) {
    int i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return i < 0 ? path : path.substring(i + 1);
  }
}
