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
  /** The signal check ran and at least one of its checks failed. */
  public static final int CHECK_FAILED = 5;
  /** Batch: some models failed (or were not run after --fail-fast); the others were done. */
  public static final int SOME_FAILED = 6;
  /**
   * The signal check could not run the model on the execution provider that ran (no kernel for an op
   * and type there, such as float64 Conv or bfloat16 Gemm on the CPU; an input type ONNX Runtime's
   * Java API cannot create).
   */
  public static final int NOT_RUNNABLE = 8;
  /** {@code --device cuda} where the CUDA execution provider cannot be used. */
  public static final int DEVICE_UNAVAILABLE = 7;

  private ExitCodes() { }
}
