package dev.zeroinit.onnxio;

import java.io.IOException;

/**
 * The work would need more Java heap than the JVM may use, found by an estimate before anything is
 * allocated (not an OutOfMemoryError half way). The message says how much is needed, how much the
 * JVM has, and which option helps; the command line reports it as a resource error (exit code 4).
 */
public class InsufficientMemoryException extends IOException {
  private final long neededBytes;
  private final long maxHeapBytes;

  public InsufficientMemoryException(String message, long neededBytes, long maxHeapBytes) {
    super(message);
    this.neededBytes = neededBytes;
    this.maxHeapBytes = maxHeapBytes;
  }

  /** The estimated heap the work needs, in bytes. */
  public long neededBytes() {
    return neededBytes;
  }

  /** The JVM's maximum heap ({@code Runtime.maxMemory()}) when the estimate was made. */
  public long maxHeapBytes() {
    return maxHeapBytes;
  }
}
