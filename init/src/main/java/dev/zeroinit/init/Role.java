package dev.zeroinit.init;

/** What a tensor is to the op that reads it. */
public enum Role {
  WEIGHT("weight"),
  BIAS("bias"),
  NORM_SCALE("norm scale"),
  NORM_BIAS("norm bias"),
  NORM_MEAN("norm mean"),
  NORM_VARIANCE("norm variance"),
  EMBEDDING("embedding"),
  RECURRENT("recurrent weight"),
  QUANTIZED("quantized weight");

  private final String label;

  Role(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
