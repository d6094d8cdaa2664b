package dev.zeroinit.cli;

import dev.zeroinit.experiments.ExperimentListener;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What {@code experiment} prints while it runs: one line per finished run always; on a terminal a
 * progress bar per run (me.tongfei:progressbar, on stderr) whose message carries the run's loss and
 * the ETA of the whole experiment; elsewhere (a CI log, a pipe) a plain line at most every 15
 * seconds. Nothing but errors with {@code --quiet}.
 */
abstract class ExperimentProgress implements ExperimentListener, AutoCloseable {
  protected final PrintWriter out;
  protected long planned;
  protected long done;
  protected long started = System.nanoTime();
  protected int run;
  protected int runs;
  protected String label = "";
  protected double loss = Double.NaN;

  ExperimentProgress(PrintWriter out) {
    this.out = out;
  }

  static ExperimentProgress create(PrintWriter out, boolean quiet, boolean terminal) {
    if (quiet) {
      return new Silent(out);
    }
    return terminal ? new Bar(out) : new Lines(out);
  }

  @Override
  public void planned(int runs, long steps) {
    this.runs = runs;
    planned = steps;
    started = System.nanoTime();
  }

  @Override
  public void runStarted(int index, int runs, String label) {
    run = index;
    this.label = label;
  }

  @Override
  public void stepDone(double loss) {
    done++;
    this.loss = loss;
  }

  @Override
  public void runDone(String summary) {
    out.println(String.format(Locale.ROOT, "run %d/%d  %s", run, runs, summary));
    out.flush();
  }

  @Override
  public void info(String line) {
    out.println("  " + line);
    out.flush();
  }

  /** The whole experiment's remaining time, from its rate so far. */
  String eta() {
    double elapsed = (System.nanoTime() - started) / 1e9;
    return done == 0 ? "?" : FinetuneProgress.eta(elapsed / done * (planned - done));
  }

  @Override
  public void close() { }

  /** A progress bar per run on the terminal. */
  static final class Bar extends ExperimentProgress {
    private ProgressBar bar;
    private long runSteps;

    Bar(PrintWriter out) {
      super(out);
    }

    @Override
    public void runStarted(int index, int runs, String label) {
      super.runStarted(index, runs, label);
      close();
      runSteps = planned / Math.max(1, runs);
      bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "run %d/%d", index, runs))
          .setInitialMax(runSteps).setUnit(" steps", 1).setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(250).continuousUpdate().build();
    }

    @Override
    public void stepDone(double loss) {
      super.stepDone(loss);
      if (bar != null) {
        bar.step();
        bar.setExtraMessage(String.format(Locale.ROOT, " %s  loss %.4f  all runs: ETA %s", label,
            loss, eta()));
      }
    }

    @Override
    public void status(String line) {
      if (bar != null) {
        bar.setExtraMessage(" " + label + "  " + line + "  all runs: ETA " + eta());
      }
    }

    @Override
    public void runDone(String summary) {
      close();
      super.runDone(summary);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }

  /** Plain lines at most every 15 seconds. */
  static final class Lines extends ExperimentProgress {
    private static final long EVERY_NANOS = 15_000_000_000L;
    private long lastLine = System.nanoTime();

    Lines(PrintWriter out) {
      super(out);
    }

    @Override
    public void stepDone(double loss) {
      super.stepDone(loss);
      long now = System.nanoTime();
      if (now - lastLine >= EVERY_NANOS) {
        lastLine = now;
        out.println(String.format(Locale.ROOT, "  run %d/%d  %s  step %d of %d in all  loss %.4f"
            + "  ETA %s", run, runs, label, done, planned, loss, eta()));
        out.flush();
      }
    }
  }

  /** Nothing. */
  static final class Silent extends ExperimentProgress {
    Silent(PrintWriter out) {
      super(out);
    }

    @Override
    public void runDone(String summary) { }

    @Override
    public void info(String line) { }
  }
}
