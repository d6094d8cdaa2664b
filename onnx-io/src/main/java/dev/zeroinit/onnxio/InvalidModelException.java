package dev.zeroinit.onnxio;

import java.nio.file.Path;

/**
 * The input is not a valid ONNX model, or holds something this tool refuses to read (for example an
 * external data location outside the model's folder). The message is one line a user can act on:
 * what is wrong and where in the model; {@link #file()} names the file when it is known.
 */
public class InvalidModelException extends Exception {
  private final Path file;

  public InvalidModelException(String message) {
    this(null, message, null);
  }

  public InvalidModelException(Path file, String message) {
    this(file, message, null);
  }

  public InvalidModelException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /** The file the problem was found in, or null when it is not known at the point of detection. */
  public Path file() {
    return file;
  }

  /** A copy of this exception that names {@code file}, keeping the message and cause. */
  public InvalidModelException inFile(Path file) {
    if (this.file != null) {
      return this;
    }
    InvalidModelException named = new InvalidModelException(file, getMessage(), getCause());
    named.setStackTrace(getStackTrace());
    return named;
  }

  /** "file: message", the one line the command line prints. */
  public String oneLine() {
    return file == null ? getMessage() : file + ": " + getMessage();
  }
}
