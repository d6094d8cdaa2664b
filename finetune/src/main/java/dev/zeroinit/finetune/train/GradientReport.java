package dev.zeroinit.finetune.train;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.verify.OrtRuntime;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.TensorStats;
import java.util.List;
import java.util.Map;

/**
 * The result of a gradient check ({@code zero-init verify --grad}): which provider ran the training
 * step, what it was fed, and every trainable tensor's gradient with its status.
 *
 * @param model the model file
 * @param provider the execution provider that ran the step (null when none started)
 * @param loss the loss of the step
 * @param lossReason why that loss (chosen automatically, or asked for)
 * @param output the model output the loss reads
 * @param inputs what each model input held
 * @param targets what the targets held
 * @param lossValue the loss of the step (NaN when it did not run)
 * @param tensors every trainable tensor, in the model's initializer order
 * @param notTrained float initializers that get no gradient by design (running statistics, scalars,
 *     shapes), with the reason
 * @param verdict pass, fail or not runnable
 * @param notRunnableReason why the step could not run here, or null
 * @param seed the seed of the inputs and targets
 * @param timings where the time went
 */
public record GradientReport(String model, OrtRuntime.Provider provider, LossKind loss, String lossReason,
    String output, List<SignalReport.InputInfo> inputs, SignalReport.InputInfo targets, double lossValue,
    List<Tensor> tensors, Map<String, String> notTrained, Verdict verdict, String notRunnableReason, long seed,
    Timings timings) {

  /** Overall outcome. */
  public enum Verdict { PASS, FAIL, NOT_RUNNABLE }

  /** The outcome for one trainable tensor. */
  public enum Status {
    /** Finite and not all zero. */
    OK("OK", false),
    /** All zero, as the plan's zeroed weights explain. */
    ZERO_EXPECTED("ZERO-EXPECTED", false),
    /** All zero, and nothing the plan did explains it. */
    ZERO("ZERO", true),
    /** Holds NaN or infinity. */
    NON_FINITE("NON-FINITE", true);

    private final String label;
    private final boolean fails;

    Status(String label, boolean fails) {
      this.label = label;
      this.fails = fails;
    }

    /** As printed: OK, ZERO-EXPECTED, ZERO, NON-FINITE. */
    public String label() {
      return label;
    }

    /** Whether this status fails the check. */
    public boolean fails() {
      return fails;
    }
  }

  /**
   * One trainable tensor and its gradient.
   *
   * @param index position, from 1
   * @param name the initializer's name
   * @param stats statistics of the gradient (its type and shape are the tensor's)
   * @param status the outcome
   * @param explanation for ZERO-EXPECTED, the plan's zeroed weights that make it zero; for ZERO, what
   *     the graph shows (an all-zero weight the plan did not zero on purpose), or null when nothing does
   */
  public record Tensor(int index, String name, TensorStats stats, Status status, String explanation) { }

  /**
   * Time spent, in nanoseconds.
   *
   * @param prepareNanos reading, planning, inputs, building the step graph
   * @param sessionNanos creating the session
   * @param runNanos the step
   * @param totalNanos all of it
   */
  public record Timings(long prepareNanos, long sessionNanos, long runNanos, long totalNanos) { }

  /** The tensors of one status. */
  public List<Tensor> withStatus(Status s) {
    return tensors.stream().filter(t -> t.status() == s).toList();
  }
}
