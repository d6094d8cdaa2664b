package dev.zeroinit.finetune.data;

import java.util.Arrays;

/**
 * {@code (x - mean[c]) / std[c]} per channel {@code c} (the leading dimension of a sample: the
 * channel of an image, the feature of a vector), applied during batch assembly after pixel scaling.
 * One mean and std apply to every channel.
 */
public final class Normalization {
  private final float[] mean;
  private final float[] std;

  private Normalization(float[] mean, float[] std) {
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("normalization needs as many means as stds, at least one");
    }
    for (int c = 0; c < mean.length; c++) {
      if (!Float.isFinite(mean[c])) {
        throw new IllegalArgumentException("normalization mean " + mean[c] + " is not finite");
      }
      if (!(std[c] > 0) || !Float.isFinite(std[c])) {
        throw new IllegalArgumentException(
            "normalization std " + std[c] + " must be a finite number above 0");
      }
    }
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /** The same mean and std for every channel. */
  public static Normalization of(float mean, float std) {
    return new Normalization(new float[] {mean}, new float[] {std});
  }

  /** One mean and std per channel. */
  public static Normalization perChannel(float[] mean, float[] std) {
    return new Normalization(mean, std);
  }

  /**
   * Parses {@code --normalize MEAN,STD}: two numbers ({@code 0.2860,0.3530}), or per channel all the
   * means then all the stds ({@code 0.4914,0.4822,0.4465,0.2470,0.2435,0.2616}).
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Normalization parse(String spec) {
    String[] parts = spec.split(",", -1);
    if (parts.length < 2 || parts.length % 2 != 0) {
      throw new IllegalArgumentException("--normalize takes MEAN,STD or the means of every channel "
          + "followed by their stds (an even count of numbers), not '" + spec + "'");
    }
    int c = parts.length / 2;
    float[] mean = new float[c];
    float[] std = new float[c];
    for (int i = 0; i < parts.length; i++) {
      float v;
      try {
        v = Float.parseFloat(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--normalize: '" + parts[i].trim() + "' is not a number (in '" + spec + "')");
      }
      if (i < c) {
        mean[i] = v;
      } else {
        std[i - c] = v;
      }
    }
    return new Normalization(mean, std);
  }

  /** The number of channels given (1 when one value applies to all). */
  public int channels() {
    return mean.length;
  }

  /** The means for data of {@code channels} channels. */
  float[] means(int channels) {
    return expand(mean, channels);
  }

  /** The stds for data of {@code channels} channels. */
  float[] stds(int channels) {
    return expand(std, channels);
  }

  private float[] expand(float[] v, int channels) {
    if (v.length == channels) {
      return v.clone();
    }
    if (v.length == 1) {
      float[] all = new float[channels];
      Arrays.fill(all, v[0]);
      return all;
    }
    throw new IllegalArgumentException("--normalize gives " + v.length
        + " channels but the data has " + channels);
  }

  /** The values in {@code --normalize} form. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (float m : mean) {
      s.append(s.length() == 0 ? "" : ",").append(m);
    }
    for (float d : std) {
      s.append(',').append(d);
    }
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }
}
