package dev.zeroinit.finetune.train;

/**
 * A fine-tuning run cannot start or go on: the data does not fit the model, a checkpoint belongs to
 * another run or is damaged, ONNX Runtime cannot run the step graph. The message is one line a user
 * can act on; {@link #kind()} says whose problem it is.
 */
public class FinetuneException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Whose problem it is. */
  public enum Kind {
    /** The options do not fit (the data, a checkpoint of another run, the batch size). */
    USAGE,
    /** An input (model, checkpoint) is not valid or holds something refused. */
    INVALID_INPUT,
    /** ONNX Runtime cannot run it on the execution provider that was chosen. */
    NOT_RUNNABLE,
    /** Training diverged: the loss became NaN or infinite. */
    DIVERGED
  }

  private final Kind kind;

  public FinetuneException(Kind kind, String message) {
    this(kind, message, null);
  }

  public FinetuneException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
