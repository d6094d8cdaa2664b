package dev.zeroinit.finetune;

import java.util.Locale;

/** The losses a training-step graph can end in. */
public enum LossKind {
  /**
   * Softmax cross-entropy from logits [N, C] with int64 class labels [N], mean over the batch
   * (PyTorch's {@code CrossEntropyLoss}); also outputs the number of correct predictions.
   */
  CROSS_ENTROPY("ce"),
  /** Mean squared error between the output and float targets of the same shape, mean over all elements. */
  MSE("mse"),
  /**
   * Next-token cross-entropy of a language model: logits [B, S, V], int64 targets [B, S] (the
   * already shifted next tokens), mean over all B*S positions; also outputs the number of correctly
   * predicted tokens.
   */
  LANGUAGE_MODEL("lm");

  private final String optionName;

  LossKind(String optionName) {
    this.optionName = optionName;
  }

  /** The name the command line uses: ce, mse or lm. */
  public String optionName() {
    return optionName;
  }

  /** Whether the loss counts correct predictions. */
  public boolean countsCorrect() {
    return this != MSE;
  }

  /** Parses ce, mse or lm (case-insensitive). */
  public static LossKind parse(String s) {
    for (LossKind k : values()) {
      if (k.optionName.equals(s.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown loss '" + s + "'; choose ce, mse or lm");
  }
}
