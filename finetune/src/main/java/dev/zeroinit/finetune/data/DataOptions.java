package dev.zeroinit.finetune.data;

import java.util.Objects;

/**
 * How to read a data set and feed it: the options behind {@code --format}, {@code --label-column},
 * {@code --limit}, {@code --test-fraction}, {@code --normalize}, augmentation and the seed. Immutable;
 * start from {@link #defaults()} and change with the {@code with...} methods.
 */
public final class DataOptions {
  /** Whether a CSV file starts with a header row. */
  public enum Header {
    /** A header when the first row has a non-numeric field where the second row has a number. */
    AUTO,
    PRESENT,
    ABSENT
  }

  /** What the targets are. */
  public enum TargetKind {
    /**
     * Class labels when every target is a whole number 0 or more (or a name, in a CSV); else
     * regression values.
     */
    AUTO,
    CLASSES,
    VALUES
  }

  /** The axis order of 4-D NumPy image arrays. */
  public enum Layout {
    /**
     * Channels last ({@code [N,H,W,C]}, as Keras saves) when the last axis is 1, 3 or 4 and the
     * second is not; else channels first.
     */
    AUTO,
    CHANNELS_FIRST,
    CHANNELS_LAST
  }

  /** The seed that carves {@code --test-fraction} by default, fixed so the split outlives seeds. */
  public static final long DEFAULT_SPLIT_SEED = 0x5eed_7e57L;

  private DataFormat format;
  private String labelColumn;
  private Header header = Header.AUTO;
  private char delimiter;
  private TargetKind targetKind = TargetKind.AUTO;
  private Layout layout = Layout.AUTO;
  private boolean flatten;
  private int limit;
  private double testFraction;
  private long splitSeed = DEFAULT_SPLIT_SEED;
  private Normalization normalization;
  private Augmentation augmentation = Augmentation.NONE;
  private long seed;

  private DataOptions() {}

  private DataOptions copy() {
    DataOptions o = new DataOptions();
    o.format = format;
    o.labelColumn = labelColumn;
    o.header = header;
    o.delimiter = delimiter;
    o.targetKind = targetKind;
    o.layout = layout;
    o.flatten = flatten;
    o.limit = limit;
    o.testFraction = testFraction;
    o.splitSeed = splitSeed;
    o.normalization = normalization;
    o.augmentation = augmentation;
    o.seed = seed;
    return o;
  }

  /** Format detected, last CSV column the label, no limit, no test carving, no normalisation. */
  public static DataOptions defaults() {
    return new DataOptions();
  }

  /** The forced format, or null to detect it. */
  public DataFormat format() {
    return format;
  }

  /** {@code --format}: force a format (null detects it from names and magic numbers). */
  public DataOptions withFormat(DataFormat format) {
    DataOptions o = copy();
    o.format = format;
    return o;
  }

  public String labelColumn() {
    return labelColumn;
  }

  /**
   * {@code --label-column}: the CSV column(s) holding the target, by header name or 0-based index
   * (negative counts from the end: -1 is the last); a comma list gives a regression vector. Null for
   * the last column.
   */
  public DataOptions withLabelColumn(String labelColumn) {
    DataOptions o = copy();
    o.labelColumn = labelColumn;
    return o;
  }

  public Header header() {
    return header;
  }

  public DataOptions withHeader(Header header) {
    DataOptions o = copy();
    o.header = Objects.requireNonNull(header);
    return o;
  }

  /** The CSV field separator, or 0 to take the most frequent of {@code , ; TAB} in the first row. */
  public char delimiter() {
    return delimiter;
  }

  public DataOptions withDelimiter(char delimiter) {
    DataOptions o = copy();
    o.delimiter = delimiter;
    return o;
  }

  public TargetKind targetKind() {
    return targetKind;
  }

  public DataOptions withTargetKind(TargetKind targetKind) {
    DataOptions o = copy();
    o.targetKind = Objects.requireNonNull(targetKind);
    return o;
  }

  public Layout layout() {
    return layout;
  }

  public DataOptions withLayout(Layout layout) {
    DataOptions o = copy();
    o.layout = Objects.requireNonNull(layout);
    return o;
  }

  public boolean flatten() {
    return flatten;
  }

  /** Feed samples flattened to one dimension ({@code [784]} instead of {@code [1,28,28]}). */
  public DataOptions withFlatten(boolean flatten) {
    DataOptions o = copy();
    o.flatten = flatten;
    return o;
  }

  /** The most samples read from each split; 0 for all. */
  public int limit() {
    return limit;
  }

  /**
   * {@code --limit N}: read only the first N samples of the training data, and of the format's own
   * test set (a carved test split is taken from those N).
   */
  public DataOptions withLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("--limit must be 0 (all) or more, not " + limit);
    }
    DataOptions o = copy();
    o.limit = limit;
    return o;
  }

  public double testFraction() {
    return testFraction;
  }

  /**
   * {@code --test-fraction F}: when the data has no test set of its own, hold out this fraction of
   * the training samples (chosen by a seeded permutation, {@link #splitSeed()}); 0 for none.
   */
  public DataOptions withTestFraction(double testFraction) {
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw new IllegalArgumentException(
          "--test-fraction must be at least 0 and below 1, not " + testFraction);
    }
    DataOptions o = copy();
    o.testFraction = testFraction;
    return o;
  }

  public long splitSeed() {
    return splitSeed;
  }

  public DataOptions withSplitSeed(long splitSeed) {
    DataOptions o = copy();
    o.splitSeed = splitSeed;
    return o;
  }

  /** The normalisation, or null for none. */
  public Normalization normalization() {
    return normalization;
  }

  public DataOptions withNormalization(Normalization normalization) {
    DataOptions o = copy();
    o.normalization = normalization;
    return o;
  }

  public Augmentation augmentation() {
    return augmentation;
  }

  public DataOptions withAugmentation(Augmentation augmentation) {
    DataOptions o = copy();
    o.augmentation = Objects.requireNonNull(augmentation);
    return o;
  }

  /** The seed of the shuffling and the augmentation. */
  public long seed() {
    return seed;
  }

  public DataOptions withSeed(long seed) {
    DataOptions o = copy();
    o.seed = seed;
    return o;
  }
}
