package dev.zeroinit.cli;

import dev.zeroinit.finetune.data.DataFormat;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.Normalization;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the data is and how to read it: shared by {@code finetune} and {@code eval}. */
final class DataSourceOptions {
  @Option(names = "--data", paramLabel = "PATH", required = true,
      description = "The data: a folder (IDX files as MNIST/Fashion-MNIST ship them, CIFAR binary "
          + "batches, x/y .npy files, train/test CSV) or one .npz/.csv file.")
  Path data;

  @Option(names = "--format", paramLabel = "idx|cifar|npz|csv",
      description = "The data's format (default: detected from the file names and contents).")
  String format;

  @Option(names = "--normalize", paramLabel = "MEAN,STD",
      description = "Normalise inputs as (x - MEAN) / STD after scaling pixels to [0,1]; per channel: "
          + "all the means, then all the stds.")
  String normalize;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "Read only the first N training samples and the first N test samples (default 0: all).")
  int limit;

  @Option(names = "--test-fraction", paramLabel = "F", defaultValue = "0",
      description = "When the data has no test set of its own, hold out this fraction of the training "
          + "samples (a fixed seeded choice) as the test set.")
  double testFraction;

  @Option(names = "--label-column", paramLabel = "COL",
      description = "CSV: the column holding the label, by name or index (default: the last).")
  String labelColumn;

  /** The data options these settings describe (normalisation given separately). */
  DataOptions options(Normalization normalization) throws UsageException {
    DataOptions o = DataOptions.defaults();
    try {
      if (format != null) {
        o = o.withFormat(DataFormat.parse(format));
      }
      o = o.withLimit(limit).withTestFraction(testFraction).withLabelColumn(labelColumn)
          .withNormalization(normalization);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage().startsWith("--") ? e.getMessage()
          : (format != null && e.getMessage().contains("format") ? "--format: " : "") + e.getMessage());
    }
    return o;
  }

  /** The {@code --normalize} value, or null when it was not given. */
  Normalization normalization() throws UsageException {
    if (normalize == null) {
      return null;
    }
    try {
      return Normalization.parse(normalize);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }
}
