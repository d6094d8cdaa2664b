package dev.zeroinit.verify;

/**
 * A value of a kind that cannot reach ONNX Runtime through its Java API (for example a UINT32 or
 * 4-bit tensor as an input, a sequence or map), or that this module does not convert.
 */
public class UnsupportedTypeException extends Exception {
  public UnsupportedTypeException(String message) {
    super(message);
  }
}
