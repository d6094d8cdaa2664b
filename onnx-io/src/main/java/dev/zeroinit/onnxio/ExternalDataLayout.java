package dev.zeroinit.onnxio;

/** Where the writer puts tensor data. */
public enum ExternalDataLayout {
  /** Every tensor inside the model file (refused above the 2 GB protobuf limit). */
  INLINE,
  /** Every tensor of at least {@link WriteOptions#externalThreshold()} bytes in one file beside the model. */
  SINGLE,
  /** As the input had it: external tensors stay external, grouped in files as before; inline stay inline. */
  KEEP;

  /** Parses {@code inline|single|keep}. */
  public static ExternalDataLayout parse(String s) {
    return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
