package dev.zeroinit.finetune.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The learning curves ({@code --plot FILE.png}), drawn with JFreeChart without a display: loss (top)
 * and accuracy in percent (bottom) per epoch, for the training batches and the test set. Values not
 * measured are left out of their curve.
 */
public final class CurvesPlot {
  private CurvesPlot() {}

  /** The chart as PNG bytes, {@code width} x {@code height} pixels. */
  public static byte[] png(String title, List<EpochMetrics> history, int width, int height)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeries trainLoss = new XYSeries("train");
    XYSeries testLoss = new XYSeries("test");
    XYSeries trainAcc = new XYSeries("train");
    XYSeries testAcc = new XYSeries("test");
    for (EpochMetrics m : history) {
      add(trainLoss, m.epoch(), m.trainLoss());
      add(testLoss, m.epoch(), m.testLoss());
      add(trainAcc, m.epoch(), 100 * m.trainAccuracy());
      add(testAcc, m.epoch(), 100 * m.testAccuracy());
    }
    XYSeriesCollection loss = new XYSeriesCollection();
    loss.addSeries(trainLoss);
    loss.addSeries(testLoss);
    XYSeriesCollection acc = new XYSeriesCollection();
    acc.addSeries(trainAcc);
    acc.addSeries(testAcc);
    NumberAxis lossAxis = new NumberAxis("loss");
    lossAxis.setAutoRangeIncludesZero(true);
    XYPlot top = new XYPlot(loss, null, lossAxis, renderer(true));
    NumberAxis accAxis = new NumberAxis("accuracy (%)");
    accAxis.setAutoRangeIncludesZero(false);
    XYPlot bottom = new XYPlot(acc, null, accAxis, renderer(false));
    NumberAxis epochs = new NumberAxis("epoch");
    epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    epochs.setAutoRangeIncludesZero(false);
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochs);
    plot.setGap(8);
    plot.add(top, 1);
    plot.add(bottom, 1);
    for (XYPlot p : new XYPlot[] {top, bottom}) {
      p.setBackgroundPaint(Color.WHITE);
      p.setDomainGridlinePaint(new Color(0xDDDDDD));
      p.setRangeGridlinePaint(new Color(0xDDDDDD));
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(out, chart, width, height);
    return out.toByteArray();
  }

  private static void add(XYSeries s, int epoch, double v) {
    if (Double.isFinite(v)) {
      s.add(epoch, v);
    }
  }

  private static XYLineAndShapeRenderer renderer(boolean legend) {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    r.setSeriesPaint(0, new Color(0x1F77B4));
    r.setSeriesPaint(1, new Color(0xD62728));
    for (int i = 0; i < 2; i++) {
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    r.setDefaultSeriesVisibleInLegend(legend);
    return r;
  }
}
