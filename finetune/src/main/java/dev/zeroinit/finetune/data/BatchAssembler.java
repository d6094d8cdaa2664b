package dev.zeroinit.finetune.data;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Writes batches of a {@link Dataset} into caller-provided arrays or buffers: the samples at
 * {@code indices[from .. from+count)}, one after another ({@code count x sampleSize} floats), scaled
 * (bytes to [0,1]), normalised and — when augmentation is on — randomly cropped and flipped, and
 * their labels or target vectors. Nothing is allocated per sample or per batch.
 *
 * <p>Augmentation draws, per sample and in this order, the vertical then horizontal crop offset
 * (uniform in [-padding, padding]) and the flip (a boolean) from the random stream the caller
 * passes, so the same stream gives the same batch. An instance keeps one sample of scratch space for
 * buffer output and is not thread-safe; use one per thread.
 */
public final class BatchAssembler {
  private final Dataset data;
  private final int sampleSize;
  private final int channels;
  private final int plane;
  private final int height;
  private final int width;
  private final byte[] u8;
  private final float[] f32;
  /** For byte data: the normalised value of byte {@code b} in channel {@code c} at c*256+b. */
  private final float[] byteValue;
  private final float[] mean;
  private final float[] std;
  /** The normalised value of a black (zero) pixel per channel: the crop padding. */
  private final float[] padValue;
  private final Augmentation augmentation;
  private final float[] scratch;
  private final float[] targetScratch;

  /**
   * An assembler for {@code data}, normalising with {@code normalization} (null: none) and
   * augmenting with {@code augmentation} (null or {@link Augmentation#NONE}: none; needs images).
   *
   * @throws IllegalArgumentException when the normalisation's channels do not fit the data, or
   *     augmentation is asked for samples that are not images
   */
  public BatchAssembler(Dataset data, Normalization normalization, Augmentation augmentation) {
    this.data = Objects.requireNonNull(data);
    this.augmentation = augmentation == null ? Augmentation.NONE : augmentation;
    int[] shape = data.storedShape();
    this.sampleSize = data.sampleSize();
    this.channels = data.channels();
    this.plane = channels == 0 ? 0 : sampleSize / channels;
    int[] image = data.imageShape();
    if (this.augmentation.enabled() && image == null) {
      throw new IllegalArgumentException("augmentation (" + this.augmentation + ") needs image "
          + "samples [C,H,W]; " + data.name() + " has samples of " + java.util.Arrays.toString(shape));
    }
    this.height = image == null ? 1 : image[1];
    this.width = image == null ? plane : image[2];
    Dataset.Features f = data.features();
    this.u8 = f.u8();
    this.f32 = f.f32();
    if (normalization != null) {
      this.mean = normalization.means(channels);
      this.std = normalization.stds(channels);
    } else {
      this.mean = null;
      this.std = null;
    }
    this.padValue = new float[channels];
    for (int c = 0; c < channels; c++) {
      padValue[c] = normalize(0f, c);
    }
    if (u8 != null) {
      byteValue = new float[channels * 256];
      for (int c = 0; c < channels; c++) {
        for (int b = 0; b < 256; b++) {
          byteValue[c * 256 + b] = normalize(Dataset.BYTE_TO_UNIT[b], c);
        }
      }
    } else {
      byteValue = null;
    }
    this.scratch = new float[sampleSize];
    this.targetScratch = new float[data.targetSize()];
  }

  private float normalize(float v, int c) {
    return mean == null ? v : (v - mean[c]) / std[c];
  }

  public Dataset dataset() {
    return data;
  }

  /** Floats in one sample. */
  public int sampleSize() {
    return sampleSize;
  }

  /** Whether this assembler augments (and so needs a random stream). */
  public boolean augments() {
    return augmentation.enabled();
  }

  /**
   * Writes samples {@code indices[from .. from+count)} to {@code x} starting at {@code offset}.
   *
   * @param random the augmentation stream; may be null when {@link #augments()} is false
   */
  public void inputs(int[] indices, int from, int count, float[] x, int offset,
      SplittableRandom random) {
    checkRange(indices, from, count);
    Objects.checkFromIndexSize(offset, Math.multiplyExact(count, sampleSize), x.length);
    checkRandom(random);
    for (int k = 0; k < count; k++) {
      writeSample(data.row(indices[from + k]), x, offset + k * sampleSize, random);
    }
  }

  /**
   * Writes samples {@code indices[from .. from+count)} to {@code x} at absolute index
   * {@code offset} (the buffer's position and limit are not changed).
   */
  public void inputs(int[] indices, int from, int count, FloatBuffer x, int offset,
      SplittableRandom random) {
    checkRange(indices, from, count);
    Objects.checkFromIndexSize(offset, Math.multiplyExact(count, sampleSize), x.capacity());
    checkRandom(random);
    for (int k = 0; k < count; k++) {
      writeSample(data.row(indices[from + k]), scratch, 0, random);
      x.put(offset + k * sampleSize, scratch);
    }
  }

  /** Writes the class labels of samples {@code indices[from .. from+count)} to {@code y}. */
  public void labels(int[] indices, int from, int count, long[] y, int offset) {
    checkRange(indices, from, count);
    Objects.checkFromIndexSize(offset, count, y.length);
    int[] labels = labelArray();
    for (int k = 0; k < count; k++) {
      y[offset + k] = labels[data.row(indices[from + k])];
    }
  }

  /** Writes the class labels to {@code y} at absolute index {@code offset}. */
  public void labels(int[] indices, int from, int count, LongBuffer y, int offset) {
    checkRange(indices, from, count);
    Objects.checkFromIndexSize(offset, count, y.capacity());
    int[] labels = labelArray();
    for (int k = 0; k < count; k++) {
      y.put(offset + k, labels[data.row(indices[from + k])]);
    }
  }

  /**
   * Writes the targets ({@link Dataset#targetSize()} floats each: regression values, or the class
   * label as a float) of samples {@code indices[from .. from+count)} to {@code y}.
   */
  public void targets(int[] indices, int from, int count, float[] y, int offset) {
    checkRange(indices, from, count);
    int w = data.targetSize();
    Objects.checkFromIndexSize(offset, count * w, y.length);
    for (int k = 0; k < count; k++) {
      data.target(indices[from + k], y, offset + k * w);
    }
  }

  /** Writes the targets to {@code y} at absolute index {@code offset}. */
  public void targets(int[] indices, int from, int count, FloatBuffer y, int offset) {
    checkRange(indices, from, count);
    int w = data.targetSize();
    Objects.checkFromIndexSize(offset, count * w, y.capacity());
    for (int k = 0; k < count; k++) {
      data.target(indices[from + k], targetScratch, 0);
      y.put(offset + k * w, targetScratch, 0, w);
    }
  }

  private int[] labelArray() {
    int[] labels = data.targets().labels();
    if (labels == null) {
      throw new IllegalStateException(data.name() + " holds regression targets, not labels");
    }
    return labels;
  }

  private void checkRange(int[] indices, int from, int count) {
    Objects.checkFromIndexSize(from, count, indices.length);
  }

  private void checkRandom(SplittableRandom random) {
    if (random == null && augmentation.enabled()) {
      throw new IllegalArgumentException("augmentation needs a random stream");
    }
  }

  /** Writes stored row {@code row}, transformed, to {@code dst} at {@code off}. */
  private void writeSample(int row, float[] dst, int off, SplittableRandom random) {
    int dy = 0;
    int dx = 0;
    boolean flip = false;
    if (augmentation.enabled()) {
      int p = augmentation.cropPadding();
      if (p > 0) {
        dy = random.nextInt(2 * p + 1) - p;
        dx = random.nextInt(2 * p + 1) - p;
      }
      flip = augmentation.horizontalFlip() && random.nextBoolean();
    }
    int base = row * sampleSize;
    if (dy == 0 && dx == 0 && !flip) {
      copy(base, dst, off);
    } else {
      transform(base, dst, off, dy, dx, flip);
    }
  }

  private void copy(int base, float[] dst, int off) {
    if (u8 != null) {
      float[] lut = byteValue;
      int o = off;
      int s = base;
      for (int c = 0; c < channels; c++) {
        int l = c * 256;
        for (int end = s + plane; s < end; s++) {
          dst[o++] = lut[l + (u8[s] & 0xff)];
        }
      }
    } else if (mean == null) {
      System.arraycopy(f32, base, dst, off, sampleSize);
    } else {
      int o = off;
      int s = base;
      for (int c = 0; c < channels; c++) {
        float m = mean[c];
        float d = std[c];
        for (int end = s + plane; s < end; s++) {
          dst[o++] = (f32[s] - m) / d;
        }
      }
    }
  }

  /** out(c, y, x) = in(c, y + dy, (flip ? W-1-x : x) + dx), or the padding value outside. */
  private void transform(int base, float[] dst, int off, int dy, int dx, boolean flip) {
    int h = height;
    int w = width;
    int o = off;
    for (int c = 0; c < channels; c++) {
      int channelBase = base + c * plane;
      float pad = padValue[c];
      int l = c * 256;
      for (int y = 0; y < h; y++) {
        int sy = y + dy;
        if (sy < 0 || sy >= h) {
          for (int x = 0; x < w; x++) {
            dst[o++] = pad;
          }
          continue;
        }
        int rowBase = channelBase + sy * w;
        for (int x = 0; x < w; x++) {
          int sx = (flip ? w - 1 - x : x) + dx;
          float v;
          if (sx < 0 || sx >= w) {
            v = pad;
          } else if (u8 != null) {
            v = byteValue[l + (u8[rowBase + sx] & 0xff)];
          } else {
            v = normalize(f32[rowBase + sx], c);
          }
          dst[o++] = v;
        }
      }
    }
  }
}
