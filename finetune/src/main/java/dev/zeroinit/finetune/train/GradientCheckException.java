package dev.zeroinit.finetune.train;

/**
 * The gradient check cannot be set up: no loss fits the model's outputs, the targets' size cannot be
 * known, or no training-step graph can be built (an op without a derivative rule). The message is one
 * line a user can act on; {@link #kind()} says whose problem it is.
 */
public final class GradientCheckException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Whose problem it is. */
  public enum Kind {
    /** The options do not fit the model (a loss it cannot take). */
    USAGE,
    /** The model cannot be differentiated (an op or attribute without a derivative rule). */
    INVALID_INPUT
  }

  private final Kind kind;

  public GradientCheckException(Kind kind, String message) {
    this(kind, message, null);
  }

  public GradientCheckException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
