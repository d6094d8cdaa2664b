package dev.zeroinit.finetune.train;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.TrainOptions;
import dev.zeroinit.verify.Device;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Everything that shapes a fine-tuning run besides the model and the data: the step graph's options,
 * the epochs and the learning-rate schedule, the runtime (device, threads, spinning), the seed and
 * the checkpoints. Start from {@link #builder()}.
 *
 * @param epochs epochs to train (at least 1)
 * @param batchSize samples per step; the step graph is built for this size, and a last partial batch
 *     of an epoch is left out (a different one each epoch, as the order is shuffled)
 * @param evalBatchSize samples per evaluation run
 * @param lr the base learning rate
 * @param schedule what follows the warm-up
 * @param warmupEpochs linear warm-up length in epochs (fractional allowed)
 * @param stepSizeEpochs epochs between decays of the step schedule
 * @param gamma factor of the step schedule
 * @param loss the loss
 * @param optimizer the update rule
 * @param freeze initializers not trained (found anywhere in the name), or null
 * @param output the forward output the loss reads, or null for the first
 * @param device the execution provider to ask for
 * @param threads ONNX Runtime intra-op threads, 0 for its own choice
 * @param spinning whether ONNX Runtime's threads spin while waiting for work (off by default: with
 *     other processes on the machine spinning halves throughput)
 * @param seed seed of the shuffling and augmentation
 * @param checkpointDir where a checkpoint is written after every epoch, or null for none
 * @param resume continue from the checkpoint in {@code checkpointDir} when there is one
 */
public record FinetuneConfig(int epochs, int batchSize, int evalBatchSize, double lr,
    LrSchedule.Kind schedule, double warmupEpochs, double stepSizeEpochs, double gamma,
    LossKind loss, OptimizerConfig optimizer, Pattern freeze, String output, Device device,
    int threads, boolean spinning, long seed, Path checkpointDir, boolean resume) {

  public FinetuneConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("--epochs must be at least 1, not " + epochs);
    }
    if (batchSize < 1 || evalBatchSize < 1) {
      throw new IllegalArgumentException("--batch must be at least 1, not "
          + Math.min(batchSize, evalBatchSize));
    }
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("--lr must be a number above 0, not " + lr);
    }
    if (!(warmupEpochs >= 0) || Double.isInfinite(warmupEpochs)) {
      throw new IllegalArgumentException("--warmup-epochs must be 0 or more, not " + warmupEpochs);
    }
    if (!(stepSizeEpochs > 0) || Double.isInfinite(stepSizeEpochs)) {
      throw new IllegalArgumentException("--step-size must be above 0 epochs, not " + stepSizeEpochs);
    }
    if (!(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("--gamma must be in (0, 1], not " + gamma);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("--threads must be 0 (ONNX Runtime's choice) or more, not "
          + threads);
    }
    if (loss == null || optimizer == null || schedule == null || device == null) {
      throw new IllegalArgumentException("loss, optimizer, schedule and device are required");
    }
    if (resume && checkpointDir == null) {
      throw new IllegalArgumentException("--resume needs --checkpoint-dir");
    }
  }

  /** The step graph's options: loss, optimizer, freeze, output and the batch size fixed into it. */
  public TrainOptions trainOptions() {
    return TrainOptions.defaults().withLoss(loss).withOptimizer(optimizer).withFreeze(freeze)
        .withOutput(output).withBatchSize(batchSize);
  }

  /** The schedule for a run of {@code stepsPerEpoch} steps per epoch. */
  public LrSchedule scheduleFor(long stepsPerEpoch) {
    return LrSchedule.of(schedule, lr, warmupEpochs, epochs, stepsPerEpoch, stepSizeEpochs, gamma);
  }

  /**
   * The options a checkpoint must share with the run that resumes it (everything that changes the
   * sequence of losses except the number of epochs), as option name to value.
   */
  public Map<String, String> resumeKey() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("--batch", String.valueOf(batchSize));
    m.put("--lr", String.valueOf(lr));
    m.put("--schedule", schedule.optionName());
    m.put("--warmup-epochs", String.valueOf(warmupEpochs));
    if (schedule == LrSchedule.Kind.STEP) {
      m.put("--step-size", String.valueOf(stepSizeEpochs));
      m.put("--gamma", String.valueOf(gamma));
    }
    m.put("--loss", loss.optionName());
    m.put("--optimizer", optimizer.kind().optionName());
    if (optimizer.kind() == OptimizerConfig.Kind.SGD) {
      m.put("--momentum", String.valueOf(optimizer.momentum()));
      m.put("--nesterov", String.valueOf(optimizer.nesterov()));
    } else {
      m.put("--betas", optimizer.beta1() + "," + optimizer.beta2());
      m.put("--eps", String.valueOf(optimizer.epsilon()));
    }
    m.put("--weight-decay", String.valueOf(optimizer.weightDecay()));
    m.put("--freeze", freeze == null ? "" : freeze.pattern());
    m.put("--output-name", output == null ? "" : output);
    m.put("--seed", String.valueOf(seed));
    return m;
  }

  /** A mutable builder with the defaults of {@code zero-init finetune}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The builder: defaults are 10 epochs, batch 64, lr 0.1, 5 warm-up epochs then cosine. */
  public static final class Builder {
    private int epochs = 10;
    private int batchSize = 64;
    private int evalBatchSize;
    private double lr = 0.1;
    private LrSchedule.Kind schedule = LrSchedule.Kind.COSINE;
    private double warmupEpochs = 5;
    private double stepSizeEpochs = 30;
    private double gamma = 0.1;
    private LossKind loss = LossKind.CROSS_ENTROPY;
    private OptimizerConfig optimizer = OptimizerConfig.sgd(0.9, false, 1e-4);
    private Pattern freeze;
    private String output;
    private Device device = Device.AUTO;
    private int threads;
    private boolean spinning;
    private long seed;
    private Path checkpointDir;
    private boolean resume;

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** Samples per evaluation run; 0 (default) for the training batch size. */
    public Builder evalBatchSize(int v) {
      evalBatchSize = v;
      return this;
    }

    public Builder lr(double v) {
      lr = v;
      return this;
    }

    public Builder schedule(LrSchedule.Kind v) {
      schedule = v;
      return this;
    }

    public Builder warmupEpochs(double v) {
      warmupEpochs = v;
      return this;
    }

    public Builder stepSizeEpochs(double v) {
      stepSizeEpochs = v;
      return this;
    }

    public Builder gamma(double v) {
      gamma = v;
      return this;
    }

    public Builder loss(LossKind v) {
      loss = v;
      return this;
    }

    public Builder optimizer(OptimizerConfig v) {
      optimizer = v;
      return this;
    }

    public Builder freeze(Pattern v) {
      freeze = v;
      return this;
    }

    public Builder output(String v) {
      output = v;
      return this;
    }

    public Builder device(Device v) {
      device = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder spinning(boolean v) {
      spinning = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder checkpointDir(Path v) {
      checkpointDir = v;
      return this;
    }

    public Builder resume(boolean v) {
      resume = v;
      return this;
    }

    public FinetuneConfig build() {
      return new FinetuneConfig(epochs, batchSize, evalBatchSize > 0 ? evalBatchSize : batchSize,
          lr, schedule, warmupEpochs, stepSizeEpochs, gamma, loss, optimizer, freeze, output, device,
          threads, spinning, seed, checkpointDir, resume);
    }
  }

  /** The options in command-line form, in a fixed order (for the output's metadata). */
  public String canonical() {
    StringBuilder b = new StringBuilder();
    b.append("--epochs ").append(epochs);
    resumeKey().forEach((k, v) -> {
      if (!v.isEmpty()) {
        b.append(' ').append(k).append(' ').append(v.contains(" ") ? "'" + v + "'" : v);
      }
    });
    return b.toString();
  }
}
