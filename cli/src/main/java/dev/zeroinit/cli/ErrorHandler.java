package dev.zeroinit.cli;

import dev.zeroinit.onnxio.InsufficientMemoryException;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.WriteRefusedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns every failure into one line on stderr and its documented exit code. A stack trace is printed
 * only for internal errors, and only with {@code ZERO_INIT_DEBUG=1}.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
    return report(ex, cmd);
  }

  static int report(Throwable ex, CommandLine cmd) {
    var err = cmd.getErr();
    Failure f = classify(ex);
    if (f.code() == ExitCodes.INTERNAL && "1".equals(System.getenv("ZERO_INIT_DEBUG"))) {
      ex.printStackTrace(err);
    }
    err.println("zero-init: " + f.line());
    err.flush();
    return f.code();
  }

  /** A failure as the exit code it maps to, a short kind and the one line the user sees. */
  record Failure(int code, String kind, String line) { }

  /** Classifies a failure the way the command line reports it (also per model, in batch). */
  static Failure classify(Throwable ex) {
    if (ex instanceof UncheckedIOException u) {
      ex = u.getCause();
    }
    if (ex instanceof InvalidModelException e) {
      return new Failure(ExitCodes.INVALID_MODEL, "invalid-model", e.oneLine());
    } else if (ex instanceof dev.zeroinit.finetune.data.DatasetException e) {
      return new Failure(ExitCodes.INVALID_MODEL, "invalid-data", e.oneLine());
    } else if (ex instanceof WriteRefusedException e) {
      return new Failure(ExitCodes.USAGE, "refused", e.getMessage());
    } else if (ex instanceof UsageException e) {
      return new Failure(ExitCodes.USAGE, "usage", e.getMessage());
    } else if (ex instanceof SignalCheckFailedException e) {
      return new Failure(ExitCodes.CHECK_FAILED, "signal-check", e.getMessage());
    } else if (ex instanceof IOException e) {
      return new Failure(ExitCodes.IO, "io", ioMessage(e));
    } else if (ex instanceof OutOfMemoryError) {
      return new Failure(ExitCodes.IO, "memory", "not enough memory (" + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB heap); give the JVM more with JAVA_OPTS=-Xmx...");
    }
    return new Failure(ExitCodes.INTERNAL, "internal",
        "internal error: " + ex + " (please report it; ZERO_INIT_DEBUG=1 shows the stack trace)");
  }

  static String ioMessage(IOException e) {
    if (e instanceof InsufficientMemoryException) {
      return e.getMessage(); // already names the file, the sizes and the option that helps
    }
    if (e instanceof NoSuchFileException f) {
      return f.getFile() + ": no such file or folder"
          + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    if (e instanceof FileSystemException f) {
      return (f.getFile() == null ? "" : f.getFile() + ": ")
          + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
    }
    return "I/O error: " + e.getMessage();
  }
}
