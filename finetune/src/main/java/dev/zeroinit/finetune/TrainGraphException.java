package dev.zeroinit.finetune;

/**
 * The forward graph cannot be turned into a training-step graph (an op without a derivative rule, an
 * attribute combination a rule does not cover, a loss that does not fit the model's output, ...). The
 * message is one line naming what and where.
 */
public class TrainGraphException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainGraphException(String message) {
    super(message);
  }
}
