package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** Runs the tool in this JVM with captured stdout and stderr. */
final class Cli {
  private Cli() { }

  /** What one run printed and returned. */
  record Run(int exit, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }

    /**
     * Asserts the run failed with {@code code} and explained itself in exactly one
     * {@code zero-init: } line on stderr, without a stack trace.
     */
    Run assertOneLineError(int code) {
      assertEquals(code, exit, () -> "exit code; stderr was:\n" + err + "\nstdout was:\n" + out);
      long lines = errLines().stream().filter(l -> l.startsWith("zero-init: ")).count();
      assertEquals(1, lines, () -> "one 'zero-init: ' line on stderr, got:\n" + err);
      assertFalse(err.contains("\tat "), () -> "stack trace on stderr:\n" + err);
      assertFalse(out.contains("\tat "), () -> "stack trace on stdout:\n" + out);
      return this;
    }

    /** The single {@code zero-init: } line of stderr. */
    String errorLine() {
      return errLines().stream().filter(l -> l.startsWith("zero-init: ")).findFirst().orElse("");
    }

    Run assertOk() {
      assertEquals(ExitCodes.OK, exit, () -> "exit code; stderr was:\n" + err + "\nstdout was:\n" + out);
      return this;
    }
  }

  static Run run(Object... args) {
    String[] a = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      a[i] = String.valueOf(args[i]);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = ZeroInitCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(a);
    return new Run(exit, out.toString(), err.toString());
  }
}
