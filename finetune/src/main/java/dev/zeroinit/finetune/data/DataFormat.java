package dev.zeroinit.finetune.data;

import java.util.Locale;

/** The data file formats the readers understand ({@code --format}). */
public enum DataFormat {
  /** IDX files (MNIST, Fashion-MNIST), plain or gzip: {@code train-images-idx3-ubyte[.gz]}, ... */
  IDX("idx"),
  /** CIFAR-10 / CIFAR-100 binary batches: {@code data_batch_N.bin}, {@code test_batch.bin}, ... */
  CIFAR("cifar"),
  /** NumPy arrays: an {@code .npz} archive or a pair of {@code .npy} files ({@code x}, {@code y}). */
  NPZ("npz"),
  /** Text with one sample a row: numeric features and a label column. */
  CSV("csv");

  private final String id;

  DataFormat(String id) {
    this.id = id;
  }

  /** The name {@code --format} takes. */
  public String id() {
    return id;
  }

  /**
   * The format named {@code name}: {@code idx}, {@code cifar}, {@code npz} (or {@code npy}), {@code
   * csv}, in any case.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static DataFormat parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "idx":
      case "mnist":
        return IDX;
      case "cifar":
      case "cifar10":
      case "cifar-10":
      case "cifar100":
      case "cifar-100":
        return CIFAR;
      case "npz":
      case "npy":
        return NPZ;
      case "csv":
        return CSV;
      default:
        throw new IllegalArgumentException(
            "unknown data format '" + name + "' (expected idx, cifar, npz or csv)");
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
