package dev.zeroinit.finetune.data;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.SplittableRandom;

/**
 * Epochs of batches over a {@link Dataset} for the training loop. {@link #startEpoch(int)} puts the
 * samples in the order of that epoch — a Fisher–Yates permutation seeded by (seed, epoch) when
 * shuffling, else file order — and {@code fill(b, ...)} writes batch {@code b} of it. Each batch's
 * augmentation draws from its own stream seeded by (seed, epoch, batch), so an epoch's batches are
 * the same whatever order they are filled in. The order array is reused from epoch to epoch; filling
 * allocates one small random-number generator per batch and nothing per sample. Not thread-safe.
 */
public final class Batches {
  private static final long ORDER = 1;
  private static final long AUGMENT = 2;

  private final BatchAssembler assembler;
  private final int batchSize;
  private final boolean shuffle;
  private final boolean dropLast;
  private final long seed;
  private final int[] order;
  private int epoch = -1;

  /**
   * Batches of {@code batchSize} samples of {@code data}.
   *
   * @param shuffle a new seeded order every epoch (else file order)
   * @param dropLast leave out a last batch smaller than {@code batchSize}
   * @param seed the seed of the order and the augmentation
   */
  public Batches(Dataset data, int batchSize, boolean shuffle, boolean dropLast, long seed,
      Normalization normalization, Augmentation augmentation) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
    }
    this.assembler = new BatchAssembler(data, normalization, augmentation);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.seed = seed;
    this.order = new int[data.size()];
    startEpoch(0);
  }

  /**
   * Training batches (shuffled, augmented as {@code options} say, last partial batch kept) or
   * evaluation batches (file order, never augmented), normalised as {@code options} say.
   */
  public static Batches of(Dataset data, int batchSize, boolean training, DataOptions options) {
    return new Batches(data, batchSize, training, false, options.seed(),
        options.normalization(), training ? options.augmentation() : Augmentation.NONE);
  }

  /** Puts the samples in the order of epoch {@code epoch} (0, 1, ...). */
  public void startEpoch(int epoch) {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (shuffle) {
      Shuffle.shuffle(order, new SplittableRandom(Shuffle.derive(seed, ORDER, epoch)));
    }
    this.epoch = epoch;
  }

  /** The epoch the batches are in. */
  public int epoch() {
    return epoch;
  }

  /** The number of batches in an epoch. */
  public int count() {
    int n = order.length;
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The number of samples in batch {@code b}. */
  public int size(int b) {
    java.util.Objects.checkIndex(b, count());
    return Math.min(batchSize, order.length - b * batchSize);
  }

  public int batchSize() {
    return batchSize;
  }

  /** The sample order of the current epoch (a copy). */
  public int[] order() {
    return order.clone();
  }

  public BatchAssembler assembler() {
    return assembler;
  }

  public Dataset dataset() {
    return assembler.dataset();
  }

  /**
   * Writes the inputs of batch {@code b} to {@code x} (from index 0) and its class labels to
   * {@code y}; returns the number of samples.
   */
  public int fill(int b, float[] x, long[] y) {
    int n = size(b);
    int from = b * batchSize;
    assembler.inputs(order, from, n, x, 0, random(b));
    assembler.labels(order, from, n, y, 0);
    return n;
  }

  /** As {@link #fill(int, float[], long[])}, into buffers at absolute index 0. */
  public int fill(int b, FloatBuffer x, LongBuffer y) {
    int n = size(b);
    int from = b * batchSize;
    assembler.inputs(order, from, n, x, 0, random(b));
    assembler.labels(order, from, n, y, 0);
    return n;
  }

  /** Writes batch {@code b}'s inputs and target vectors (regression); returns the sample count. */
  public int fillValues(int b, float[] x, float[] y) {
    int n = size(b);
    int from = b * batchSize;
    assembler.inputs(order, from, n, x, 0, random(b));
    assembler.targets(order, from, n, y, 0);
    return n;
  }

  /** As {@link #fillValues(int, float[], float[])}, into buffers at absolute index 0. */
  public int fillValues(int b, FloatBuffer x, FloatBuffer y) {
    int n = size(b);
    int from = b * batchSize;
    assembler.inputs(order, from, n, x, 0, random(b));
    assembler.targets(order, from, n, y, 0);
    return n;
  }

  private SplittableRandom random(int b) {
    return assembler.augments()
        ? new SplittableRandom(Shuffle.derive(seed, AUGMENT, epoch, b)) : null;
  }
}
