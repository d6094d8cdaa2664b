package dev.zeroinit.init;

/** What happens to normalisation parameters (BatchNormalization, LayerNormalization, ...). */
public enum NormMode {
  /** Fresh-network values: scale 1, bias 0, running mean 0, running variance 1 (default). */
  RESET,
  /** Leave them as they are. */
  KEEP;

  public static NormMode parse(String s) {
    return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
