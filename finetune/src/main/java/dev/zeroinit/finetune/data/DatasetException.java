package dev.zeroinit.finetune.data;

import java.nio.file.Path;

/**
 * A data file or folder cannot be read as a data set: unknown or ambiguous format, a header that
 * contradicts the file's size, truncated or corrupt data, labels out of range, mismatched counts. The
 * message is one line a user can act on (what is wrong, and where); {@link #file()} names the file or
 * folder when it is known. Plain I/O failures (missing file, permission denied) stay
 * {@link java.io.IOException}s.
 */
public class DatasetException extends Exception {
  private final Path file;

  public DatasetException(Path file, String message) {
    this(file, message, null);
  }

  public DatasetException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /** The file or folder the problem was found in, or null when it is not known. */
  public Path file() {
    return file;
  }

  /** "file: message", the one line the command line prints. */
  public String oneLine() {
    return file == null ? getMessage() : file + ": " + getMessage();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + ": " + oneLine();
  }
}
