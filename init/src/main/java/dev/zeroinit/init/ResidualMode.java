package dev.zeroinit.init;

/** What happens to residual branches. */
public enum ResidualMode {
  /** The last weight layer of every residual branch starts at zero, so each block is the identity. */
  ZERO_LAST,
  /** Residual branches follow the plain rules like every other layer. */
  PLAIN;

  /** Parses {@code zero-last|plain}. */
  public static ResidualMode parse(String s) {
    return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
  }

  /** The option spelling. */
  public String optionName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
