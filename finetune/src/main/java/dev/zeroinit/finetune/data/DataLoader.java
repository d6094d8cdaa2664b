package dev.zeroinit.finetune.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a data set from a folder or file: detects the format (or takes {@code --format}), reads the
 * training data and the format's own test set, applies {@code --limit}, carves {@code
 * --test-fraction} when there is no test set, and flattens samples when asked. Normalisation,
 * shuffling and augmentation happen later, during batch assembly ({@link Batches}).
 */
public final class DataLoader {
  private DataLoader() {}

  /** The format of the data at {@code path} as detection sees it. */
  public static DataFormat detect(Path path) throws IOException, DatasetException {
    return DataLayout.detect(path, null).format();
  }

  /** Reads the data at {@code path} (a folder or a file). */
  public static DataSplits load(Path path, DataOptions options)
      throws IOException, DatasetException {
    DataLayout layout = DataLayout.detect(path, options.format());
    String base = displayName(path);
    Dataset[] sets;
    if (layout instanceof DataLayout.Idx idx) {
      sets = readIdx(idx, base, options.limit());
    } else if (layout instanceof DataLayout.Cifar cifar) {
      sets = readCifar(cifar, base, options.limit());
    } else if (layout instanceof DataLayout.Npz npz) {
      sets = readNpz(npz, base, options);
    } else if (layout instanceof DataLayout.Npy npy) {
      sets = readNpy(npy, base, options);
    } else {
      sets = readCsv((DataLayout.Csv) layout, base, options);
    }
    Dataset train = sets[0];
    Dataset test = sets[1];
    if (test != null) {
      checkSameShape(train, test);
      int classes = Math.max(train.numClasses(), test.numClasses());
      train = train.withNumClasses(classes);
      test = test.withNumClasses(classes);
    }
    DataSplits.TestSource source = test != null ? DataSplits.TestSource.OWN
        : DataSplits.TestSource.NONE;
    if (test == null && options.testFraction() > 0) {
      Dataset[] carved = carve(train, options.testFraction(), options.splitSeed(), base);
      train = carved[0];
      test = carved[1];
      source = DataSplits.TestSource.CARVED;
    }
    train = train.flatten(options.flatten());
    test = test == null ? null : test.flatten(options.flatten());
    return new DataSplits(train, test, source);
  }

  /**
   * Splits {@code data}: {@code round(n * fraction)} samples chosen by a permutation seeded with
   * {@code seed} become the test set, the rest stay for training; both keep file order.
   */
  static Dataset[] carve(Dataset data, double fraction, long seed, String base)
      throws DatasetException {
    int n = data.size();
    long k = Math.round(n * fraction);
    if (k < 1 || k >= n) {
      throw new DatasetException(data.source(), "--test-fraction " + fraction + " of " + n
          + " samples leaves " + (k < 1 ? "no test samples" : "no training samples"));
    }
    int[] perm = Shuffle.permutation(n, seed);
    int[] test = Arrays.copyOfRange(perm, 0, (int) k);
    int[] train = Arrays.copyOfRange(perm, (int) k, n);
    Arrays.sort(test);
    Arrays.sort(train);
    return new Dataset[] {data.select(train, base + " train"), data.select(test, base + " test")};
  }

  private static Dataset[] readIdx(DataLayout.Idx idx, String base, int limit)
      throws IOException, DatasetException {
    Dataset train = idxSet(idx.trainImages(), idx.trainLabels(), base + " train", limit);
    Dataset test = idx.testImages() == null ? null
        : idxSet(idx.testImages(), idx.testLabels(), base + " test", limit);
    return new Dataset[] {train, test};
  }

  private static Dataset idxSet(Path imagesFile, Path labelsFile, String name, int limit)
      throws IOException, DatasetException {
    IdxReader.Labels labels = IdxReader.readLabels(labelsFile);
    IdxReader.Images images = IdxReader.readImages(imagesFile, limit);
    if (images.total() != labels.total()) {
      throw new DatasetException(imagesFile, images.total() + " images but "
          + labelsFile.getFileName() + " has " + labels.total() + " labels");
    }
    int max = 0;
    for (int l : labels.labels()) {
      max = Math.max(max, l);
    }
    int[] kept = Arrays.copyOf(labels.labels(), images.count());
    return Dataset.of(name, imagesFile, DataFormat.IDX,
        new Dataset.Features(images.shape(), images.count(), images.pixels(), null),
        Dataset.Targets.classes(kept, max + 1, null));
  }

  private static Dataset[] readCifar(DataLayout.Cifar cifar, String base, int limit)
      throws IOException, DatasetException {
    Dataset train = cifarSet(cifar.train(), cifar.labelBytes(), base + " train", limit);
    Dataset test = cifar.test().isEmpty() ? null
        : cifarSet(cifar.test(), cifar.labelBytes(), base + " test", limit);
    return new Dataset[] {train, test};
  }

  private static Dataset cifarSet(List<Path> files, int labelBytes, String name, int limit)
      throws IOException, DatasetException {
    CifarReader.Images images = CifarReader.read(files, labelBytes, limit);
    return Dataset.of(name, files.get(0), DataFormat.CIFAR,
        new Dataset.Features(CifarReader.SHAPE, images.count(), images.pixels(), null),
        Dataset.Targets.classes(images.labels(), images.numClasses(), null));
  }

  private static Dataset[] readNpz(DataLayout.Npz npz, String base, DataOptions options)
      throws IOException, DatasetException {
    if (npz.test() != null) {
      Dataset train = npzSet(npz.train(), base + " train", options);
      Dataset test = npzSet(npz.test(), base + " test", options);
      return new Dataset[] {train, test};
    }
    try (NpyReader.Npz archive = new NpyReader.Npz(npz.train())) {
      if (archive.has("x_train") || archive.has("y_train")) {
        Dataset train = arraysSet(archive, "x_train", "y_train", base + " train", options);
        boolean tx = archive.has("x_test");
        if (tx != archive.has("y_test")) {
          throw new DatasetException(npz.train(), "holds " + (tx ? "x_test" : "y_test")
              + " without " + (tx ? "y_test" : "x_test"));
        }
        Dataset test = tx ? arraysSet(archive, "x_test", "y_test", base + " test", options) : null;
        return new Dataset[] {train, test};
      }
      return new Dataset[] {arraysSet(archive, "x", "y", base + " train", options), null};
    }
  }

  private static Dataset npzSet(Path file, String name, DataOptions options)
      throws IOException, DatasetException {
    try (NpyReader.Npz archive = new NpyReader.Npz(file)) {
      if (archive.has("x_train") && !archive.has("x")) {
        return arraysSet(archive, "x_train", "y_train", name, options);
      }
      return arraysSet(archive, "x", "y", name, options);
    }
  }

  private static Dataset arraysSet(NpyReader.Npz archive, String xName, String yName, String name,
      DataOptions options) throws IOException, DatasetException {
    Path file = archive.file();
    for (String n : List.of(xName, yName)) {
      if (!archive.has(n)) {
        throw new DatasetException(file, "no array '" + n + "' (the archive holds "
            + archive.names() + "; expected x and y, or x_train, y_train, x_test, y_test)");
      }
    }
    NpyReader.Array y = archive.read(yName, 0);
    NpyReader.Array x = archive.read(xName, options.limit());
    return fromArrays(file, name, x, y, options);
  }

  private static Dataset[] readNpy(DataLayout.Npy npy, String base, DataOptions options)
      throws IOException, DatasetException {
    Dataset train = fromArrays(npy.trainX(), base + " train",
        NpyReader.read(npy.trainX(), options.limit()), readY(npy.trainY()), options);
    Dataset test = npy.testX() == null ? null : fromArrays(npy.testX(), base + " test",
        NpyReader.read(npy.testX(), options.limit()), readY(npy.testY()), options);
    return new Dataset[] {train, test};
  }

  private static NpyReader.Array readY(Path file) throws IOException, DatasetException {
    return NpyReader.read(file, 0);
  }

  /** A data set from input array {@code x} (first rows read) and target array {@code y} (all). */
  static Dataset fromArrays(Path file, String name, NpyReader.Array x, NpyReader.Array y,
      DataOptions options) throws DatasetException {
    long n = x.shape()[0];
    if (y.shape()[0] != n) {
      throw new DatasetException(file, "inputs " + x.name() + " have " + n + " samples but targets "
          + y.name() + " have " + y.shape()[0]);
    }
    if (n == 0) {
      throw new DatasetException(file, x.name() + " holds no samples");
    }
    int count = x.rows();
    long[] xs = x.shape();
    int[] shape;
    boolean channelsLast = false;
    switch (xs.length) {
      case 1:
        shape = new int[] {1};
        break;
      case 2:
        shape = new int[] {(int) xs[1]};
        break;
      case 3:
        shape = new int[] {1, (int) xs[1], (int) xs[2]};
        break;
      case 4: {
        DataOptions.Layout layout = options.layout();
        if (layout == DataOptions.Layout.AUTO) {
          channelsLast = isChannelCount(xs[3]) && !isChannelCount(xs[1]);
        } else {
          channelsLast = layout == DataOptions.Layout.CHANNELS_LAST;
        }
        shape = channelsLast ? new int[] {(int) xs[3], (int) xs[1], (int) xs[2]}
            : new int[] {(int) xs[1], (int) xs[2], (int) xs[3]};
        break;
      }
      default:
        shape = new int[xs.length - 1];
        for (int d = 1; d < xs.length; d++) {
          shape[d - 1] = (int) xs[d];
        }
    }
    if (x.rowElements() == 0) {
      throw new DatasetException(file, x.name() + " has empty samples (shape "
          + Arrays.toString(xs) + ")");
    }
    Dataset.Features features;
    if (x.dtype() == NpyReader.DType.U1) {
      byte[] u8 = x.raw();
      features = new Dataset.Features(shape, count,
          channelsLast ? toChannelsFirst(u8, count, shape) : u8, null);
    } else {
      float[] f = x.toFloats();
      features = new Dataset.Features(shape, count, null,
          channelsLast ? toChannelsFirst(f, count, shape) : f);
    }
    return Dataset.of(name, file, DataFormat.NPZ, features, targets(file, y, count, options));
  }

  private static boolean isChannelCount(long d) {
    return d == 1 || d == 3 || d == 4;
  }

  /** {@code [N,H,W,C]} bytes to {@code [N,C,H,W]} ({@code shape} is {@code [C,H,W]}). */
  private static byte[] toChannelsFirst(byte[] src, int n, int[] shape) {
    int c = shape[0];
    int hw = shape[1] * shape[2];
    byte[] dst = new byte[src.length];
    for (int s = 0; s < n; s++) {
      int base = s * c * hw;
      for (int p = 0; p < hw; p++) {
        for (int k = 0; k < c; k++) {
          dst[base + k * hw + p] = src[base + p * c + k];
        }
      }
    }
    return dst;
  }

  /** {@code [N,H,W,C]} floats to {@code [N,C,H,W]} ({@code shape} is {@code [C,H,W]}). */
  private static float[] toChannelsFirst(float[] src, int n, int[] shape) {
    int c = shape[0];
    int hw = shape[1] * shape[2];
    float[] dst = new float[src.length];
    for (int s = 0; s < n; s++) {
      int base = s * c * hw;
      for (int p = 0; p < hw; p++) {
        for (int k = 0; k < c; k++) {
          dst[base + k * hw + p] = src[base + p * c + k];
        }
      }
    }
    return dst;
  }

  /**
   * The first {@code count} targets of {@code y} ({@code [N]}, {@code [N,1]} or {@code [N,k]}):
   * class labels for an integer array of one value per sample (or when asked), else values.
   */
  private static Dataset.Targets targets(Path file, NpyReader.Array y, int count,
      DataOptions options) throws DatasetException {
    long[] ys = y.shape();
    if (ys.length > 2) {
      throw new DatasetException(file, "targets " + y.name() + " of shape " + Arrays.toString(ys)
          + ": expected [N], [N,1] or [N,k]");
    }
    int width = ys.length == 1 ? 1 : (int) ys[1];
    if (width == 0) {
      throw new DatasetException(file, "targets " + y.name() + " are empty (shape "
          + Arrays.toString(ys) + ")");
    }
    DataOptions.TargetKind kind = options.targetKind();
    boolean classes = kind == DataOptions.TargetKind.CLASSES
        || (kind == DataOptions.TargetKind.AUTO && y.dtype().integer && width == 1);
    if (!classes) {
      float[] all = y.toFloats();
      return Dataset.Targets.values(Arrays.copyOf(all, count * width), width);
    }
    if (width != 1) {
      throw new DatasetException(file, "class labels need one value per sample; "
          + y.name() + " has shape " + Arrays.toString(ys));
    }
    java.nio.ByteBuffer b = y.buffer();
    int total = (int) ys[0];
    int[] labels = new int[count];
    int max = -1;
    for (int i = 0; i < total; i++) {
      double v = y.valueAt(b, i);
      if (!(v >= 0 && v <= CsvReader.MAX_LABEL && v == Math.rint(v))) {
        throw new DatasetException(file, y.name() + "[" + i + "] = " + v
            + " is not a class label (a whole number from 0 to " + CsvReader.MAX_LABEL + ")"
            + (kind == DataOptions.TargetKind.AUTO ? "" : "; read the targets as values instead"));
      }
      int label = (int) v;
      max = Math.max(max, label);
      if (i < count) {
        labels[i] = label;
      }
    }
    return Dataset.Targets.classes(labels, max + 1, null);
  }

  private static Dataset[] readCsv(DataLayout.Csv csv, String base, DataOptions options)
      throws IOException, DatasetException {
    List<CsvReader.Table> tables = new ArrayList<>();
    tables.add(CsvReader.read(csv.train(), options, options.limit()));
    if (csv.test() != null) {
      CsvReader.Table test = CsvReader.read(csv.test(), options, options.limit());
      CsvReader.Table train = tables.get(0);
      if (test.features() != train.features() || test.width() != train.width()) {
        throw new DatasetException(csv.test(), test.features() + " features and " + test.width()
            + " target column(s), but " + csv.train().getFileName() + " has " + train.features()
            + " and " + train.width());
      }
      tables.add(test);
    }
    Dataset.Targets[] targets = CsvReader.targets(tables, options.targetKind());
    Dataset[] out = new Dataset[2];
    for (int t = 0; t < tables.size(); t++) {
      CsvReader.Table table = tables.get(t);
      out[t] = Dataset.of(base + (t == 0 ? " train" : " test"), table.file(), DataFormat.CSV,
          new Dataset.Features(new int[] {table.features()}, table.count(), null, table.x()),
          targets[t]);
    }
    return out;
  }

  private static void checkSameShape(Dataset train, Dataset test) throws DatasetException {
    if (!Arrays.equals(train.shape(), test.shape())
        || train.hasClasses() != test.hasClasses()
        || train.targetSize() != test.targetSize()) {
      throw new DatasetException(test.source(), "test samples " + test.describe()
          + " do not match the training samples " + train.describe());
    }
  }

  private static String displayName(Path path) {
    Path name = path.toAbsolutePath().normalize().getFileName();
    return name == null ? path.toString() : name.toString();
  }
}
