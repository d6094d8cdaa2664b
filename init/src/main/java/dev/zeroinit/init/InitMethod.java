package dev.zeroinit.init;

import java.util.Locale;

/**
 * How weight matrices are initialized: ZerO, the paper's partial-identity ablation, or one of the
 * random baselines the paper compares against (formulas as in PyTorch's {@code torch.nn.init}).
 */
public enum InitMethod {
  /** ZerO: identity, partial identity, or a scaled Hadamard block (default). */
  ZERO,
  /** The paper's ablation: partial identity also for dimension-increasing layers (no Hadamard). */
  PARTIAL_IDENTITY,
  /** N(0, std^2), std = gain / sqrt(fan_in), gain = sqrt(2) (ReLU). */
  KAIMING_NORMAL,
  /** U(-b, b), b = gain * sqrt(3 / fan_in), gain = sqrt(2). */
  KAIMING_UNIFORM,
  /** N(0, std^2), std = sqrt(2 / (fan_in + fan_out)). */
  XAVIER_NORMAL,
  /** U(-b, b), b = sqrt(6 / (fan_in + fan_out)). */
  XAVIER_UNIFORM,
  /** A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, signs fixed by R's diagonal. */
  ORTHOGONAL;

  /** True for the methods that draw random numbers (they need a seed). */
  public boolean isRandom() {
    return this != ZERO && this != PARTIAL_IDENTITY;
  }

  /** The option spelling, e.g. {@code kaiming-normal}. */
  public String optionName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses the option spelling. */
  public static InitMethod parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
  }
}
