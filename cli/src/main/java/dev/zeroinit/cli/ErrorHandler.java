package dev.zeroinit.cli;

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
    if (ex instanceof UncheckedIOException u) {
      ex = u.getCause();
    }
    int code;
    String line;
    if (ex instanceof InvalidModelException e) {
      code = ExitCodes.INVALID_MODEL;
      line = e.oneLine();
    } else if (ex instanceof WriteRefusedException e) {
      code = ExitCodes.USAGE;
      line = e.getMessage();
    } else if (ex instanceof UsageException e) {
      code = ExitCodes.USAGE;
      line = e.getMessage();
    } else if (ex instanceof IOException e) {
      code = ExitCodes.IO;
      line = ioMessage(e);
    } else if (ex instanceof OutOfMemoryError) {
      code = ExitCodes.IO;
      line = "not enough memory (" + (Runtime.getRuntime().maxMemory() >> 20)
          + " MB heap); give the JVM more with JAVA_OPTS=-Xmx...";
    } else {
      code = ExitCodes.INTERNAL;
      line = "internal error: " + ex + " (please report it; ZERO_INIT_DEBUG=1 shows the stack trace)";
      if ("1".equals(System.getenv("ZERO_INIT_DEBUG"))) {
        ex.printStackTrace(err);
      }
    }
    err.println("zero-init: " + line);
    err.flush();
    return code;
  }

  static String ioMessage(IOException e) {
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
