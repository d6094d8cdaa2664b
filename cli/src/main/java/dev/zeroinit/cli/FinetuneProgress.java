package dev.zeroinit.cli;

import dev.zeroinit.finetune.train.EpochMetrics;
import dev.zeroinit.finetune.train.TrainingListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What {@code finetune} prints while it trains: the run's description, then per epoch on a terminal a
 * progress bar (me.tongfei:progressbar, on stderr: samples done, elapsed and ETA) with samples/s,
 * the epoch's mean loss and the learning rate, and elsewhere (a CI log, a pipe) a plain progress line at most every 15 seconds;
 * in both cases one summary line per finished epoch. Nothing with {@code --quiet}.
 */
abstract class FinetuneProgress implements TrainingListener, AutoCloseable {
  protected final PrintWriter out;

  FinetuneProgress(PrintWriter out) {
    this.out = out;
  }

  static FinetuneProgress create(PrintWriter out, boolean quiet, boolean terminal) {
    if (quiet) {
      return new Silent(out);
    }
    return terminal ? new Bar(out) : new Lines(out);
  }

  @Override
  public void info(String line) {
    out.println("  " + line);
    out.flush();
  }

  @Override
  public void resumed(List<EpochMetrics> history) {
    for (EpochMetrics m : history) {
      out.println(summary(m, -1) + "  (from the checkpoint)");
    }
    out.flush();
  }

  @Override
  public void epochDone(EpochMetrics m, int epochs) {
    out.println(summary(m, epochs));
    out.flush();
  }

  @Override
  public void checkpointWritten(Path file, long bytes) {
    out.println("  checkpoint " + file + " (" + Sizes.human(bytes) + ")");
    out.flush();
  }

  @Override
  public void close() { }

  /** {@code epoch 3/10  train loss 0.4213 acc 85.21%  test loss 0.4512 acc 84.10%  lr 0.095  5123 samples/s}. */
  static String summary(EpochMetrics m, int epochs) {
    StringBuilder b = new StringBuilder("epoch ").append(m.epoch());
    if (epochs > 0) {
      b.append('/').append(epochs);
    }
    b.append(String.format(Locale.ROOT, "  train loss %.4f", m.trainLoss()));
    if (!Double.isNaN(m.trainAccuracy())) {
      b.append(String.format(Locale.ROOT, " acc %.2f%%", 100 * m.trainAccuracy()));
    }
    if (!Double.isNaN(m.testLoss())) {
      b.append(String.format(Locale.ROOT, "  test loss %.4f", m.testLoss()));
      if (!Double.isNaN(m.testAccuracy())) {
        b.append(String.format(Locale.ROOT, " acc %.2f%%", 100 * m.testAccuracy()));
      }
    }
    b.append(String.format(Locale.ROOT, "  lr %.4g  %.0f samples/s", m.lr(), m.samplesPerSecond()));
    return b.toString();
  }

  static String eta(double seconds) {
    Duration d = Duration.ofMillis(Math.max(0, Math.round(seconds * 1000)));
    return d.toHours() > 0 ? String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart())
        : d.toMinutes() > 0 ? String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart())
        : Math.max(1, d.toSeconds()) + "s";
  }

  /** A progress bar per epoch on the terminal. */
  static final class Bar extends FinetuneProgress {
    private ProgressBar bar;
    private int batch;

    Bar(PrintWriter out) {
      super(out);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps, int batchSize) {
      batch = batchSize;
      bar = new ProgressBarBuilder().setTaskName("epoch " + epoch + "/" + epochs)
          .setInitialMax((long) steps * batchSize).setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(250).continuousUpdate().build();
    }

    @Override
    public void stepDone(int step, double loss, double meanLoss, double lr, double samplesPerSecond) {
      if (bar != null) {
        bar.stepBy(batch);
        bar.setExtraMessage(String.format(Locale.ROOT, " %.0f samples/s  loss %.4f  lr %.3g", samplesPerSecond,
            meanLoss, lr));
      }
    }

    @Override
    public void evaluating() {
      if (bar != null) {
        bar.setExtraMessage(" evaluating the test set");
      }
    }

    @Override
    public void epochDone(EpochMetrics m, int epochs) {
      close();
      super.epochDone(m, epochs);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }

  /** Plain lines: progress at most every 15 seconds, and the epoch summaries. */
  static final class Lines extends FinetuneProgress {
    private static final long EVERY_NANOS = 15_000_000_000L;
    private int epoch;
    private int epochs;
    private int steps;
    private long started;
    private long lastLine;

    Lines(PrintWriter out) {
      super(out);
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps, int batchSize) {
      this.epoch = epoch;
      this.epochs = epochs;
      this.steps = steps;
      started = System.nanoTime();
      lastLine = started;
    }

    @Override
    public void stepDone(int step, double loss, double meanLoss, double lr, double samplesPerSecond) {
      long now = System.nanoTime();
      if (now - lastLine < EVERY_NANOS || step == steps) {
        return;
      }
      lastLine = now;
      double elapsed = (now - started) / 1e9;
      out.println(String.format(Locale.ROOT, "  epoch %d/%d  step %d/%d  loss %.4f  lr %.4g  %.0f samples/s"
          + "  ETA %s", epoch, epochs, step, steps, meanLoss, lr, samplesPerSecond,
          eta(elapsed / step * (steps - step))));
      out.flush();
    }
  }

  /** Nothing. */
  static final class Silent extends FinetuneProgress {
    Silent(PrintWriter out) {
      super(out);
    }

    @Override
    public void info(String line) { }

    @Override
    public void resumed(List<EpochMetrics> history) { }

    @Override
    public void epochDone(EpochMetrics m, int epochs) { }

    @Override
    public void checkpointWritten(Path file, long bytes) { }
  }
}
