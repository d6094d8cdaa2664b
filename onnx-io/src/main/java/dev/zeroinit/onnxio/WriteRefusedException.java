package dev.zeroinit.onnxio;

/**
 * The writer refused before writing anything: the target exists and overwriting was not asked for,
 * the target is the input (or one of its data files) without in-place, or the chosen layout cannot
 * hold the model. The message says which option changes that.
 */
public class WriteRefusedException extends Exception {
  public WriteRefusedException(String message) {
    super(message);
  }
}
