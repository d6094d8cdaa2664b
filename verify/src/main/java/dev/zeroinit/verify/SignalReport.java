package dev.zeroinit.verify;

import java.util.List;

/**
 * The result of a signal check: which provider ran, the inputs, every probed tensor in graph order with
 * its statistics, the outputs, the five checks and the verdict.
 *
 * @param model the model file
 * @param provider the execution provider that ran (null when the run never started)
 * @param inputs what each input held
 * @param reference the tensor gains are measured against (null when there is none)
 * @param layers probed tensors in graph order
 * @param outputs the graph outputs
 * @param checks the checks, numbered 1 to 5 (empty when not runnable)
 * @param verdict pass, fail or not runnable
 * @param notRunnableReason why the model could not run here, or null
 * @param seed the seed of the first run (the second uses seed + 1)
 * @param timings where the time went
 */
public record SignalReport(String model, OrtRuntime.Provider provider, List<InputInfo> inputs, Reference reference,
    List<Layer> layers, List<Output> outputs, List<Check> checks, Verdict verdict, String notRunnableReason,
    long seed, Timings timings) {

  /** Overall outcome. */
  public enum Verdict { PASS, FAIL, NOT_RUNNABLE }

  /** Outcome of one check. */
  public enum Status { PASS, FAIL, NOT_APPLICABLE }

  /** The rank rule, stated in every report. */
  public static final String RANK_RULE = "numerical rank of the batch x features matrix (first dim x the rest; "
      + "at most " + VerifyConfig.RANK_MAX_ROWS + " rows and " + VerifyConfig.RANK_MAX_FEATURES
      + " evenly spaced feature columns), singular values by EJML's SVD in double, counted above "
      + "s_max * max(m, n) * eps of the tensor's type (float32 2^-23)";

  /**
   * One input.
   *
   * @param name input name
   * @param type ONNX element type
   * @param shape dims used
   * @param source the rule and seed, or the file
   * @param rms RMS of the values fed (float inputs), else NaN
   */
  public record InputInfo(String name, String type, long[] shape, String source, double rms) { }

  /**
   * The tensor gains are relative to.
   *
   * @param tensor its name
   * @param what e.g. {@code first float input}
   * @param rms its RMS in the first run
   */
  public record Reference(String tensor, String what, double rms) { }

  /**
   * One probed tensor.
   *
   * @param index position in graph order, from 1
   * @param node producing node
   * @param op its op type
   * @param output tensor name
   * @param kind layer, norm or residual
   * @param stats statistics
   * @param gain RMS / reference RMS
   * @param expectedZero why the plan makes it zero, or null
   */
  public record Layer(int index, String node, String op, String output, Probes.Kind kind, TensorStats stats,
      double gain, String expectedZero) { }

  /**
   * One graph output.
   *
   * @param name output name
   * @param type ONNX element type
   * @param shape dims
   * @param stats statistics (float outputs), else null
   * @param relativeChange ||y1 - y2|| / max(||y1||, ||y2||) between the two runs (floats), or 0/1 for
   *     unchanged/changed non-float outputs
   * @param gain RMS / reference RMS (floats), else NaN
   */
  public record Output(String name, String type, long[] shape, TensorStats stats, double relativeChange,
      double gain) { }

  /**
   * One check.
   *
   * @param number 1 to 5
   * @param name short name
   * @param status pass, fail or not applicable
   * @param detail the numbers behind it
   */
  public record Check(int number, String name, Status status, String detail) { }

  /**
   * Time spent, in nanoseconds.
   *
   * @param prepareNanos reading, planning, inputs, probe model
   * @param sessionNanos creating the session
   * @param runNanos the probed run
   * @param secondRunNanos the run with the second input
   * @param statsNanos statistics and ranks
   * @param totalNanos all of it
   */
  public record Timings(long prepareNanos, long sessionNanos, long runNanos, long secondRunNanos, long statsNanos,
      long totalNanos) { }

  /** Probed tensors the plan zeroed on purpose. */
  public List<Layer> expectedZero() {
    return layers.stream().filter(l -> l.expectedZero() != null).toList();
  }
}
