package dev.zeroinit.finetune.data;

/**
 * A training set and its held-out test set.
 *
 * @param train the training samples
 * @param test the test samples, or null when there is no test set
 * @param testSource where the test set came from
 */
public record DataSplits(Dataset train, Dataset test, TestSource testSource) {
  /** Where a test set came from. */
  public enum TestSource {
    /** The format's own test files (t10k-*, test_batch.bin, x_test, test.csv). */
    OWN,
    /** Carved from the training samples by {@code --test-fraction}. */
    CARVED,
    /** No test set. */
    NONE
  }

  /** One line per split. */
  public String describe() {
    String t = test == null ? "no test set (use --test-fraction to hold some out)"
        : test.describe() + (testSource == TestSource.CARVED ? " (carved from training data)" : "");
    return train.describe() + System.lineSeparator() + t;
  }
}
