package dev.zeroinit.finetune.train;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The metrics of a run as CSV ({@code --metrics}): a header, then one row per epoch with the columns
 * {@code epoch, step, lr, train_loss, train_acc, test_loss, test_acc, samples_per_s}. Accuracies
 * are fractions; a value that was not measured is an empty field. Numbers use '.' whatever the
 * locale, losses and accuracies with enough digits to tell runs apart bit for bit.
 */
public final class MetricsCsv {
  public static final String HEADER =
      "epoch,step,lr,train_loss,train_acc,test_loss,test_acc,samples_per_s";

  private MetricsCsv() {}

  /** The CSV text of {@code history}. */
  public static String render(List<EpochMetrics> history) {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    for (EpochMetrics m : history) {
      b.append(m.epoch()).append(',').append(m.step()).append(',')
          .append(num(m.lr())).append(',')
          .append(num(m.trainLoss())).append(',').append(num(m.trainAccuracy())).append(',')
          .append(num(m.testLoss())).append(',').append(num(m.testAccuracy())).append(',')
          .append(Double.isFinite(m.samplesPerSecond())
              ? String.format(Locale.ROOT, "%.1f", m.samplesPerSecond()) : "")
          .append('\n');
    }
    return b.toString();
  }

  /** {@link #render} as UTF-8 bytes. */
  public static byte[] bytes(List<EpochMetrics> history) {
    return render(history).getBytes(StandardCharsets.UTF_8);
  }

  private static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "";
  }
}
