package dev.zeroinit.finetune.train;

import java.util.Locale;

/**
 * The learning rate of every training step, computed by the loop and fed to the step graph's
 * {@code lr} input: a linear warm-up over the first {@code warmupSteps} steps (essential for ZerO,
 * whose weights mostly start at exactly zero), then the decay. Steps count from 0; with base rate
 * {@code b}, warm-up length {@code W} steps, {@code T} steps in all:
 *
 * <ul>
 *   <li>warm-up, {@code t < W}: {@code b * (t + 1) / W} (the last warm-up step reaches {@code b});
 *   <li>{@link Kind#CONSTANT}: {@code b};
 *   <li>{@link Kind#COSINE}: {@code b * (1 + cos(pi * (t - W) / (T - W))) / 2} (PyTorch's
 *       {@code CosineAnnealingLR} with {@code eta_min} 0, stepped every batch): {@code b} at the end
 *       of the warm-up, towards 0 at the last step;
 *   <li>{@link Kind#STEP}: {@code b * gamma^floor((t - W) / D)}, {@code D} the decay interval in
 *       steps (PyTorch's {@code StepLR} started after the warm-up).
 * </ul>
 *
 * <p>Computed in double precision; the loop rounds to the parameters' type once when feeding it.
 *
 * @param kind the decay after the warm-up
 * @param base the base learning rate {@code b}, above 0
 * @param warmupSteps {@code W}, 0 for no warm-up
 * @param totalSteps {@code T}, the steps of the whole run
 * @param decaySteps {@code D} for {@link Kind#STEP} (at least 1), ignored otherwise
 * @param gamma the factor of {@link Kind#STEP}, in (0, 1]
 */
public record LrSchedule(Kind kind, double base, long warmupSteps, long totalSteps, long decaySteps,
    double gamma) {

  /** What follows the warm-up ({@code --schedule}). */
  public enum Kind {
    COSINE, STEP, CONSTANT;

    public String optionName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses cosine, step or constant (any case). */
    public static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.optionName().equals(s.trim().toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown schedule '" + s
          + "'; choose cosine, step or constant");
    }
  }

  public LrSchedule {
    if (kind == null) {
      throw new IllegalArgumentException("no schedule kind");
    }
    if (!(base > 0) || Double.isInfinite(base)) {
      throw new IllegalArgumentException("the learning rate must be a number above 0: " + base);
    }
    if (warmupSteps < 0 || totalSteps < 0) {
      throw new IllegalArgumentException("step counts must not be negative");
    }
    if (kind == Kind.STEP && decaySteps < 1) {
      throw new IllegalArgumentException("the step schedule needs a decay interval of at least one"
          + " step");
    }
    if (kind == Kind.STEP && !(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("gamma must be in (0, 1]: " + gamma);
    }
  }

  /**
   * The schedule of a run counted in epochs.
   *
   * @param warmupEpochs warm-up length in epochs (may be fractional: rounded to whole steps)
   * @param epochs the run's epochs
   * @param stepsPerEpoch optimizer steps per epoch
   * @param stepSizeEpochs {@link Kind#STEP}: epochs between decays
   */
  public static LrSchedule of(Kind kind, double base, double warmupEpochs, int epochs,
      long stepsPerEpoch, double stepSizeEpochs, double gamma) {
    if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
      throw new IllegalArgumentException("warm-up epochs must be 0 or more: " + warmupEpochs);
    }
    long warmup = Math.round(warmupEpochs * stepsPerEpoch);
    long decay = kind == Kind.STEP ? Math.max(1, Math.round(stepSizeEpochs * stepsPerEpoch)) : 1;
    return new LrSchedule(kind, base, warmup, (long) epochs * stepsPerEpoch, decay, gamma);
  }

  /** The learning rate of step {@code t} (0-based). */
  public double at(long t) {
    if (t < 0) {
      throw new IllegalArgumentException("negative step " + t);
    }
    if (t < warmupSteps) {
      return base * (t + 1) / warmupSteps;
    }
    long s = t - warmupSteps;
    return switch (kind) {
      case CONSTANT -> base;
      case COSINE -> {
        long span = totalSteps - warmupSteps;
        yield span <= 0 ? base : base * (1 + Math.cos(Math.PI * Math.min(s, span) / span)) / 2;
      }
      case STEP -> base * Math.pow(gamma, s / decaySteps);
    };
  }

  /** One line: the base rate, the warm-up and the decay. */
  public String describe() {
    String decay = switch (kind) {
      case CONSTANT -> "constant";
      case COSINE -> "cosine to 0";
      case STEP -> "x" + gamma + " every " + decaySteps + " steps";
    };
    return String.format(Locale.ROOT, "lr %s, linear warm-up %d steps, then %s (%d steps in all)",
        base, warmupSteps, decay, totalSteps);
  }
}
