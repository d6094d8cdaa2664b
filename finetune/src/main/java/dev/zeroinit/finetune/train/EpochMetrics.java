package dev.zeroinit.finetune.train;

/**
 * What one epoch measured. Accuracies are fractions in [0, 1]; a value that was not measured (no
 * test set, or a loss without a notion of correct predictions) is NaN.
 *
 * @param epoch the epoch, from 1
 * @param step optimizer steps done at the end of the epoch, over the whole run
 * @param lr the learning rate of the epoch's last step
 * @param trainLoss mean loss of the epoch's training batches (each at the parameters before its step)
 * @param trainAccuracy fraction of the epoch's training samples predicted correctly
 * @param testLoss mean loss over the test set after the epoch
 * @param testAccuracy fraction of the test set predicted correctly after the epoch
 * @param samplesPerSecond training samples per second of the epoch (steps only: no evaluation, no
 *     checkpoint)
 */
public record EpochMetrics(int epoch, long step, double lr, double trainLoss, double trainAccuracy,
    double testLoss, double testAccuracy, double samplesPerSecond) {}
