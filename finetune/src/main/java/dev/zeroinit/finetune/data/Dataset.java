package dev.zeroinit.finetune.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An in-memory data set of {@link #size()} samples. Each sample is a float32 tensor of a fixed
 * {@link #shape()} — images are channel-first {@code [C,H,W]}, optionally seen flattened to
 * {@code [C*H*W]} — and a target: an integer class label, or for regression a float vector of
 * {@link #targetSize()} values.
 *
 * <p>Pixel data read as unsigned bytes stays bytes in memory (a quarter of the float size) and is
 * scaled to [0,1] ({@code b / 255f}) when read; other data is held as floats. A data set is immutable;
 * {@link #head}, {@link #select} and {@link #flatten} are views that share the storage. Batches are
 * assembled by {@link BatchAssembler}.
 */
public final class Dataset {
  /** Features: exactly one of {@code u8} / {@code f32} is set; row-major, {@code count} rows. */
  record Features(int[] shape, int count, byte[] u8, float[] f32) {}

  /**
   * Targets: class labels ({@code labels}, in [0, numClasses)) with optional class names, or
   * regression values ({@code values}, {@code width} per sample).
   */
  record Targets(int[] labels, int numClasses, List<String> classNames, float[] values,
      int width) {
    static Targets classes(int[] labels, int numClasses, List<String> names) {
      return new Targets(labels, numClasses, names == null ? List.of() : List.copyOf(names),
          null, 1);
    }

    static Targets values(float[] values, int width) {
      return new Targets(null, 0, List.of(), values, width);
    }

    int count() {
      return labels != null ? labels.length : values.length / width;
    }
  }

  private final String name;
  private final Path source;
  private final DataFormat format;
  private final Features features;
  private final Targets targets;
  private final int sampleSize;
  private final int[] rows;
  private final int size;
  private final boolean flat;

  private Dataset(String name, Path source, DataFormat format, Features features, Targets targets,
      int[] rows, int size, boolean flat) {
    this.name = name;
    this.source = source;
    this.format = format;
    this.features = features;
    this.targets = targets;
    this.sampleSize = (int) product(features.shape);
    this.rows = rows;
    this.size = size;
    this.flat = flat;
  }

  /** A data set over all rows of {@code features} and {@code targets}, which must agree in count. */
  static Dataset of(String name, Path source, DataFormat format, Features features,
      Targets targets) {
    Objects.requireNonNull(features);
    Objects.requireNonNull(targets);
    long sample = product(features.shape);
    long stored = features.u8 != null ? features.u8.length : features.f32.length;
    if (sample * features.count != stored) {
      throw new IllegalArgumentException("features hold " + stored + " values, expected "
          + features.count + " x " + sample);
    }
    if (targets.count() != features.count) {
      throw new IllegalArgumentException(
          targets.count() + " targets for " + features.count + " samples");
    }
    return new Dataset(name, source, format, features, targets, null, features.count, false);
  }

  /** What the data set is called in messages ("train", "test", with the source's name). */
  public String name() {
    return name;
  }

  /** The file or folder it was read from. */
  public Path source() {
    return source;
  }

  public DataFormat format() {
    return format;
  }

  /** The number of samples. */
  public int size() {
    return size;
  }

  /** The shape of one sample as fed to a model (without the batch dimension). */
  public int[] shape() {
    return flat ? new int[] {sampleSize} : features.shape.clone();
  }

  /** The number of float values in one sample. */
  public int sampleSize() {
    return sampleSize;
  }

  /**
   * The image layout {@code [C,H,W]} of a sample — also when the data set is seen flattened — or
   * null when the samples are not images (rank other than 3).
   */
  public int[] imageShape() {
    return features.shape.length == 3 ? features.shape.clone() : null;
  }

  /**
   * The number of channels that per-channel normalisation addresses: the leading dimension of the
   * sample as stored ({@code C} of an image, the feature count of a vector sample).
   */
  public int channels() {
    return features.shape.length == 0 ? 1 : features.shape[0];
  }

  /** Whether the samples are stored as bytes (pixel values scaled to [0,1] when read). */
  public boolean storedAsBytes() {
    return features.u8 != null;
  }

  /** Whether the targets are class labels (else regression value vectors). */
  public boolean hasClasses() {
    return targets.labels != null;
  }

  /** The number of classes (labels lie in [0, numClasses)); 0 for regression data. */
  public int numClasses() {
    return targets.numClasses;
  }

  /** Class names when the data gave them (string labels in a CSV), else empty. */
  public List<String> classNames() {
    return targets.classNames;
  }

  /** Values per target: 1 for a class label, the vector width for regression. */
  public int targetSize() {
    return targets.width;
  }

  /** The class label of sample {@code i}. */
  public int label(int i) {
    if (targets.labels == null) {
      throw new IllegalStateException(name + " holds regression targets, not class labels");
    }
    return targets.labels[row(i)];
  }

  /** Copies the target of sample {@code i} (the label as a float, or the value vector). */
  public void target(int i, float[] dst, int offset) {
    int r = row(i);
    if (targets.labels != null) {
      dst[offset] = targets.labels[r];
    } else {
      System.arraycopy(targets.values, r * targets.width, dst, offset, targets.width);
    }
  }

  /** Feature {@code j} of sample {@code i}, before normalisation (bytes scaled to [0,1]). */
  public float feature(int i, int j) {
    Objects.checkIndex(j, sampleSize);
    long at = (long) row(i) * sampleSize + j;
    return features.u8 != null ? BYTE_TO_UNIT[features.u8[(int) at] & 0xff] : features.f32[(int) at];
  }

  /** Copies sample {@code i}, before normalisation, into {@code dst} at {@code offset}. */
  public void sample(int i, float[] dst, int offset) {
    int base = row(i) * sampleSize;
    if (features.u8 != null) {
      byte[] u8 = features.u8;
      for (int j = 0; j < sampleSize; j++) {
        dst[offset + j] = BYTE_TO_UNIT[u8[base + j] & 0xff];
      }
    } else {
      System.arraycopy(features.f32, base, dst, offset, sampleSize);
    }
  }

  /** The first {@code n} samples (all when {@code n >= size()}). */
  public Dataset head(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("negative count " + n);
    }
    if (n >= size) {
      return this;
    }
    return new Dataset(name, source, format, features, targets, rows, n, flat);
  }

  /** The samples at {@code indices} (positions in this data set), in that order. */
  public Dataset select(int[] indices, String newName) {
    int[] mapped = new int[indices.length];
    for (int k = 0; k < indices.length; k++) {
      mapped[k] = row(indices[k]);
    }
    return new Dataset(newName, source, format, features, targets, mapped, mapped.length, flat);
  }

  /** This data set with class labels counted in [0, numClasses) ({@code numClasses} at least). */
  Dataset withNumClasses(int numClasses) {
    if (targets.labels == null || numClasses == targets.numClasses) {
      return this;
    }
    if (numClasses < targets.numClasses) {
      throw new IllegalArgumentException(numClasses + " classes, labels go to "
          + (targets.numClasses - 1));
    }
    Targets t = new Targets(targets.labels, numClasses, targets.classNames, null, 1);
    return new Dataset(name, source, format, features, t, rows, size, flat);
  }

  /** This data set with samples seen flattened to {@code [sampleSize]} (or as stored). */
  public Dataset flatten(boolean flatten) {
    return flatten == flat
        ? this : new Dataset(name, source, format, features, targets, rows, size, flatten);
  }

  /** A one-line summary: name, count, shape, element type, targets. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    s.append(name).append(": ").append(size).append(size == 1 ? " sample of " : " samples of ")
        .append(Arrays.toString(shape()).replace(" ", ""));
    if (flat && features.shape.length > 1) {
      s.append(" (flattened ").append(Arrays.toString(features.shape).replace(" ", "")).append(')');
    }
    s.append(features.u8 != null ? ", uint8 scaled to [0,1]" : ", float32");
    if (targets.labels != null) {
      s.append(", ").append(targets.numClasses).append(" classes");
    } else {
      s.append(", regression targets of ").append(targets.width)
          .append(targets.width == 1 ? " value" : " values");
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  // --- for the batch assembler -------------------------------------------------------------

  /** The stored row of sample {@code i}. */
  int row(int i) {
    Objects.checkIndex(i, size);
    return rows == null ? i : rows[i];
  }

  Features features() {
    return features;
  }

  Targets targets() {
    return targets;
  }

  int[] storedShape() {
    return features.shape;
  }

  /** {@code b / 255f} for every byte value: the exact float quotient, looked up. */
  static final float[] BYTE_TO_UNIT = new float[256];

  static {
    for (int b = 0; b < 256; b++) {
      BYTE_TO_UNIT[b] = b / 255f;
    }
  }

  static long product(int[] shape) {
    long p = 1;
    for (int d : shape) {
      p *= d;
    }
    return p;
  }
}
