package dev.zeroinit.verify;

import java.util.Locale;

/** Which execution provider to ask ONNX Runtime for ({@code --device}). */
public enum Device {
  /** CUDA when it can load, else the CPU, saying why. */
  AUTO,
  /** CUDA or an error: never a silent CPU run. */
  CUDA,
  /** The CPU provider only. */
  CPU;

  /** Parses {@code auto}, {@code cuda} or {@code cpu} (any case). */
  public static Device parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT));
  }

  public String optionName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
