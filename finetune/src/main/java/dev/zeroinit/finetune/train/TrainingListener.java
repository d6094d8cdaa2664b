package dev.zeroinit.finetune.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a fine-tuning run reports while it runs; the command line turns it into a progress bar or
 * plain lines. Every method has an empty default. Called on the training thread.
 */
public interface TrainingListener {
  /** A line about the run before the first step (provider, parameters, schedule, data). */
  default void info(String line) {}

  /** The run resumes from a checkpoint that holds the metrics of the epochs it had done. */
  default void resumed(List<EpochMetrics> history) {}

  /** Epoch {@code epoch} (from 1) of {@code epochs} starts, with {@code steps} steps. */
  default void epochStarted(int epoch, int epochs, int steps, int batchSize) {}

  /**
   * Step {@code step} (from 1, within the epoch) is done.
   *
   * @param loss this step's loss (of its batch, at the parameters before the step)
   * @param meanLoss mean training loss of the epoch so far
   * @param lr the learning rate of this step
   * @param samplesPerSecond training samples per second of the epoch so far
   */
  default void stepDone(int step, double loss, double meanLoss, double lr,
      double samplesPerSecond) {}

  /**
   * The carried values (parameters, running statistics) this listener wants to read after global
   * step {@code step} of the run (0: before the first step of a fresh run); empty for none. Asked
   * before the first step and after every step, so keep it cheap.
   */
  default Set<String> observe(long step) {
    return Set.of();
  }

  /**
   * The values {@link #observe} asked for, after global step {@code step}. The buffers are
   * read-only views of ONNX Runtime's tensors, valid only during this call; names that the step
   * does not carry are absent.
   */
  default void observed(long step, Map<String, ObservedTensor> values) {}

  /** The test set is being evaluated after the epoch's steps. */
  default void evaluating() {}

  /** The epoch is done and measured. */
  default void epochDone(EpochMetrics metrics, int epochs) {}

  /** A checkpoint was written (after {@link #epochDone}). */
  default void checkpointWritten(Path file, long bytes) {}

  /** Nothing. */
  TrainingListener NONE = new TrainingListener() {};
}
