package dev.zeroinit.experiments;

/**
 * What an experiment reports while it runs; the command line turns it into a progress bar with an
 * ETA (over all the training steps the experiment will take) or plain lines. Every method has an
 * empty default. Called on the experiment's thread.
 */
public interface ExperimentListener {
  /** The experiment will take {@code steps} training steps in {@code runs} training runs. */
  default void planned(int runs, long steps) {}

  /** Run {@code index} (from 1) of {@code runs} starts. */
  default void runStarted(int index, int runs, String label) {}

  /** One training step is done; {@code loss} is its batch's loss. */
  default void stepDone(double loss) {}

  /** A short status of the current run (a measured rank, the test set being evaluated). */
  default void status(String line) {}

  /** A run is done; {@code summary} is one line of what it measured. */
  default void runDone(String summary) {}

  /** A line about the experiment (data, device, files written). */
  default void info(String line) {}

  /** Nothing. */
  ExperimentListener NONE = new ExperimentListener() {};
}
