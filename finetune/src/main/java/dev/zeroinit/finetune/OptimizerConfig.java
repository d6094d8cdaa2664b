package dev.zeroinit.finetune;

import java.util.Locale;

/**
 * The optimizer written into the step graph, with PyTorch's semantics. The learning rate is not
 * here: it is an input of every step (schedules are the training loop's business).
 *
 * <p>SGD ({@code torch.optim.SGD}, dampening 0): {@code d = g + wd * p}; with momentum
 * {@code buf = momentum * buf + d} and {@code d = nesterov ? d + momentum * buf : buf};
 * {@code p = p - lr * d}. The momentum buffer starts at zero, which gives exactly PyTorch's first
 * step ({@code buf = d}) because dampening is 0.
 *
 * <p>Weight decay applies to every trainable parameter, biases and normalisation parameters included
 * (PyTorch's single default parameter group); freeze a tensor to exclude it from training.
 *
 * <p>AdamW ({@code torch.optim.AdamW}): {@code p = p * (1 - lr * wd)}; {@code m = b1 m + (1 - b1) g};
 * {@code v = b2 v + (1 - b2) g^2}; {@code p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) +
 * eps)} with t the step count after this step.
 *
 * @param kind SGD or ADAMW
 * @param momentum SGD momentum in [0, 1)
 * @param nesterov SGD Nesterov momentum (needs momentum above 0)
 * @param weightDecay L2-coupled (SGD) or decoupled (AdamW) weight decay, at least 0
 * @param beta1 AdamW's first-moment decay in [0, 1)
 * @param beta2 AdamW's second-moment decay in [0, 1)
 * @param epsilon AdamW's denominator term, above 0
 */
public record OptimizerConfig(Kind kind, double momentum, boolean nesterov, double weightDecay,
    double beta1, double beta2, double epsilon) {

  /** The optimizer algorithms. */
  public enum Kind {
    SGD, ADAMW;

    public String optionName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind parse(String s) {
      for (Kind k : values()) {
        if (k.optionName().equals(s.toLowerCase(Locale.ROOT))) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown optimizer '" + s + "'; choose sgd or adamw");
    }
  }

  public OptimizerConfig {
    if (kind == null) {
      throw new IllegalArgumentException("no optimizer kind");
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1): " + momentum);
    }
    if (nesterov && (kind != Kind.SGD || momentum == 0)) {
      throw new IllegalArgumentException("Nesterov momentum needs SGD with a momentum above 0");
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weight decay must be 0 or more: " + weightDecay);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1): " + beta1 + ", " + beta2);
    }
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be above 0: " + epsilon);
    }
  }

  /** SGD with momentum, Nesterov option and L2-coupled weight decay. */
  public static OptimizerConfig sgd(double momentum, boolean nesterov, double weightDecay) {
    return new OptimizerConfig(Kind.SGD, momentum, nesterov, weightDecay, 0.9, 0.999, 1e-8);
  }

  /** Plain SGD: {@code p = p - lr * g}. */
  public static OptimizerConfig sgd() {
    return sgd(0, false, 0);
  }

  /** AdamW with decoupled weight decay. */
  public static OptimizerConfig adamw(double beta1, double beta2, double epsilon,
      double weightDecay) {
    return new OptimizerConfig(Kind.ADAMW, 0, false, weightDecay, beta1, beta2, epsilon);
  }

  /** AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
  public static OptimizerConfig adamw() {
    return adamw(0.9, 0.999, 1e-8, 0.01);
  }
}
