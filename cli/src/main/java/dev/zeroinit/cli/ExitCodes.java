package dev.zeroinit.cli;

/** The exit codes every command uses; the README lists them. */
public final class ExitCodes {
  /** Done. */
  public static final int OK = 0;
  /** An unexpected internal error (a bug: please report it). */
  public static final int INTERNAL = 1;
  /** Usage error: bad option, missing argument, output exists without --force. */
  public static final int USAGE = 2;
  /** The input is not a valid model (or holds something refused, such as unsafe external data). */
  public static final int INVALID_MODEL = 3;
  /** Reading or writing failed (disk full, permissions, missing output folder). */
  public static final int IO = 4;
  /** Batch: some models failed (or were not run after --fail-fast); the others were done. */
  public static final int SOME_FAILED = 6;

  private ExitCodes() { }
}
