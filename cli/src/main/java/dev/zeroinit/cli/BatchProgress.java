package dev.zeroinit.cli;

import dev.zeroinit.init.batch.BatchListener;
import dev.zeroinit.init.batch.ModelOutcome;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a batch prints while it runs: on a terminal a progress bar (me.tongfei:progressbar, on stderr)
 * with the count, the model being rewritten and the ETA; elsewhere (a CI log, a pipe) one plain line
 * per finished model with its verdict and the same ETA; nothing with {@code --quiet}.
 */
abstract class BatchProgress implements BatchListener, AutoCloseable {
  protected final PrintWriter out;
  protected int total;
  protected int done;
  protected long startNanos = System.nanoTime();

  BatchProgress(PrintWriter out) {
    this.out = out;
  }

  /** A bar when {@code terminal}, plain lines otherwise, nothing when {@code quiet}. */
  static BatchProgress create(PrintWriter out, boolean quiet, boolean terminal) {
    if (quiet) {
      return new Silent(out);
    }
    return terminal ? new Bar(out) : new Lines(out);
  }

  /** The line that opens the run. */
  void header(String line) {
    out.println(line);
    out.flush();
  }

  @Override
  public synchronized void selected(int found, List<String> selected) {
    total = selected.size();
    startNanos = System.nanoTime();
    out.println(found == selected.size()
        ? found + " model" + (found == 1 ? "" : "s") + " found"
        : found + " models found, " + selected.size() + " in this shard");
    out.flush();
  }

  @Override
  public void close() { }

  /** Linear estimate of the time left, from the models done so far; empty before the first. */
  String eta() {
    if (done == 0 || done >= total) {
      return "";
    }
    long elapsed = System.nanoTime() - startNanos;
    long left = elapsed / done * (total - done);
    Duration d = Duration.ofNanos(left);
    return d.toHours() > 0 ? String.format("ETA %dh%02dm", d.toHours(), d.toMinutesPart())
        : d.toMinutes() > 0 ? String.format("ETA %dm%02ds", d.toMinutes(), d.toSecondsPart())
        : "ETA " + Math.max(1, d.toSeconds()) + "s";
  }

  /** One line per finished model. */
  static final class Lines extends BatchProgress {
    Lines(PrintWriter out) {
      super(out);
    }

    @Override
    public synchronized void finished(ModelOutcome o) {
      done++;
      int width = String.valueOf(total).length();
      StringBuilder b = new StringBuilder();
      b.append('[').append(String.format("%" + width + "d", done)).append('/').append(total).append("] ")
          .append(String.format("%-10s", o.status().label())).append(' ').append(o.path());
      switch (o.status()) {
        case REWRITTEN -> b.append("  ").append(Sizes.human(o.inputBytes())).append(", ")
            .append(o.tensorsRewritten()).append(" rewritten, ").append(Sizes.seconds(o.nanos()));
        case UP_TO_DATE -> b.append("  (--resume: output up to date)");
        case FAILED -> b.append(": ").append(BatchReports.reason(o));
        case NOT_RUN -> { }
        default -> throw new IllegalStateException(o.status().name());
      }
      String eta = eta();
      if (!eta.isEmpty()) {
        b.append("  ").append(eta);
      }
      out.println(b);
      out.flush();
    }
  }

  /** A progress bar on the terminal. */
  static final class Bar extends BatchProgress {
    private ProgressBar bar;
    private final Deque<String> running = new ArrayDeque<>();

    Bar(PrintWriter out) {
      super(out);
    }

    @Override
    public synchronized void selected(int found, List<String> selected) {
      super.selected(found, selected);
      bar = new ProgressBarBuilder().setTaskName("zero-init").setInitialMax(selected.size())
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).setUnit(" models", 1)
          .continuousUpdate().build();
    }

    @Override
    public synchronized void started(String path, long footprint) {
      running.addLast(path);
      show();
    }

    @Override
    public synchronized void finished(ModelOutcome o) {
      done++;
      running.remove(o.path());
      if (bar != null) {
        bar.step();
      }
      show();
    }

    private void show() {
      if (bar != null) {
        String current = running.isEmpty() ? "" : running.peekLast();
        bar.setExtraMessage(running.size() > 1 ? current + " (+" + (running.size() - 1) + ")" : current);
      }
    }

    @Override
    public synchronized void close() {
      if (bar != null) {
        bar.setExtraMessage("");
        bar.close();
        bar = null;
      }
    }
  }

  /** Nothing. */
  static final class Silent extends BatchProgress {
    Silent(PrintWriter out) {
      super(out);
    }

    @Override
    void header(String line) { }

    @Override
    public void selected(int found, List<String> selected) { }
  }
}
