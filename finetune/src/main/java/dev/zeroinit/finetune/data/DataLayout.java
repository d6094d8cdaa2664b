package dev.zeroinit.finetune.data;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which files make up a data set, found from a folder's file names or a file's magic number (or
 * forced by {@code --format}): the training files and, when the data has one, its own test set.
 */
sealed interface DataLayout {
  DataFormat format();

  /** IDX image and label files; the test pair may be null. */
  record Idx(Path trainImages, Path trainLabels, Path testImages, Path testLabels)
      implements DataLayout {
    @Override
    public DataFormat format() {
      return DataFormat.IDX;
    }
  }

  /** CIFAR batches, {@code labelBytes} 1 (CIFAR-10) or 2 (CIFAR-100); {@code test} may be empty. */
  record Cifar(List<Path> train, List<Path> test, int labelBytes) implements DataLayout {
    @Override
    public DataFormat format() {
      return DataFormat.CIFAR;
    }
  }

  /**
   * One {@code .npz} archive holding {@code x}/{@code y} or {@code x_train}/{@code y_train} (and
   * maybe {@code x_test}/{@code y_test}), or a {@code train.npz} with a {@code test.npz}.
   */
  record Npz(Path train, Path test) implements DataLayout {
    @Override
    public DataFormat format() {
      return DataFormat.NPZ;
    }
  }

  /** {@code .npy} files: inputs and targets, the test pair may be null. */
  record Npy(Path trainX, Path trainY, Path testX, Path testY) implements DataLayout {
    @Override
    public DataFormat format() {
      return DataFormat.NPZ;
    }
  }

  /** A CSV file and maybe its test file. */
  record Csv(Path train, Path test) implements DataLayout {
    @Override
    public DataFormat format() {
      return DataFormat.CSV;
    }
  }

  Pattern IDX_IMAGES = Pattern.compile("(train|t10k)-images[-.]idx3-ubyte(\\.gz)?");
  Pattern IDX_LABELS = Pattern.compile("(train|t10k)-labels[-.]idx1-ubyte(\\.gz)?");
  Pattern CIFAR10_TRAIN = Pattern.compile("data_batch_(\\d+)\\.bin(\\.gz)?");
  Pattern CIFAR10_TEST = Pattern.compile("test_batch\\.bin(\\.gz)?");
  Pattern CIFAR100 = Pattern.compile("(train|test)\\.bin(\\.gz)?");
  /** Folders the CIFAR archives unpack to, looked into when a folder holds nothing else. */
  List<String> CIFAR_FOLDERS = List.of("cifar-10-batches-bin", "cifar-100-binary");

  /** The layout of {@code path} (a folder or a file), in {@code forced} format when not null. */
  static DataLayout detect(Path path, DataFormat forced) throws IOException, DatasetException {
    if (Files.isDirectory(path)) {
      return folder(path, forced);
    }
    if (!Files.exists(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString());
    }
    return file(path, forced);
  }

  private static DataLayout folder(Path dir, DataFormat forced)
      throws IOException, DatasetException {
    Map<String, Path> files = new LinkedHashMap<>();
    List<Path> subfolders = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      List<Path> sorted = new ArrayList<>();
      entries.forEach(sorted::add);
      sorted.sort(Comparator.comparing(p -> p.getFileName().toString()));
      for (Path p : sorted) {
        if (Files.isRegularFile(p)) {
          files.put(p.getFileName().toString(), p);
        } else if (Files.isDirectory(p)
            && CIFAR_FOLDERS.contains(p.getFileName().toString())) {
          subfolders.add(p);
        }
      }
    }
    Map<DataFormat, DataLayout> found = new LinkedHashMap<>();
    Map<DataFormat, String> problems = new LinkedHashMap<>();
    try {
      DataLayout idx = idxFolder(dir, files);
      if (idx != null) {
        found.put(DataFormat.IDX, idx);
      }
    } catch (DatasetException e) {
      problems.put(DataFormat.IDX, e.getMessage());
    }
    try {
      DataLayout cifar = cifarFolder(dir, files);
      if (cifar != null) {
        found.put(DataFormat.CIFAR, cifar);
      }
    } catch (DatasetException e) {
      problems.put(DataFormat.CIFAR, e.getMessage());
    }
    try {
      DataLayout numpy = numpyFolder(dir, files);
      if (numpy != null) {
        found.put(DataFormat.NPZ, numpy);
      }
    } catch (DatasetException e) {
      problems.put(DataFormat.NPZ, e.getMessage());
    }
    try {
      DataLayout csv = csvFolder(dir, files);
      if (csv != null) {
        found.put(DataFormat.CSV, csv);
      }
    } catch (DatasetException e) {
      problems.put(DataFormat.CSV, e.getMessage());
    }
    if (forced != null) {
      if (found.containsKey(forced)) {
        return found.get(forced);
      }
      if (problems.containsKey(forced)) {
        throw new DatasetException(dir, problems.get(forced));
      }
      if (subfolders.size() == 1) {
        return folder(subfolders.get(0), forced);
      }
      throw new DatasetException(dir, "no " + forced + " data files here (" + expected(forced)
          + ")");
    }
    if (found.size() == 1) {
      return found.values().iterator().next();
    }
    if (found.size() > 1) {
      throw new DatasetException(dir, "holds data files of several formats ("
          + String.join(", ", found.keySet().stream().map(DataFormat::id).toList())
          + "); choose one with --format");
    }
    if (!problems.isEmpty()) {
      throw new DatasetException(dir, problems.values().iterator().next());
    }
    if (subfolders.size() == 1) {
      return folder(subfolders.get(0), null);
    }
    throw new DatasetException(dir, "no data files recognised (expected "
        + expected(DataFormat.IDX) + "; " + expected(DataFormat.CIFAR) + "; "
        + expected(DataFormat.NPZ) + "; or " + expected(DataFormat.CSV) + ")");
  }

  private static String expected(DataFormat format) {
    switch (format) {
      case IDX:
        return "IDX: train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], "
            + "optionally t10k-images/t10k-labels";
      case CIFAR:
        return "CIFAR: data_batch_N.bin and test_batch.bin, or CIFAR-100 train.bin and test.bin";
      case NPZ:
        return "NumPy: one .npz, train.npz with test.npz, x.npy with y.npy, or x_train.npy, "
            + "y_train.npy, x_test.npy, y_test.npy";
      default:
        return "CSV: one .csv/.tsv file, or train.csv with test.csv";
    }
  }

  private static DataLayout idxFolder(Path dir, Map<String, Path> files) throws DatasetException {
    Path[] slots = new Path[4]; // train images, train labels, test images, test labels
    for (Map.Entry<String, Path> e : files.entrySet()) {
      Matcher images = IDX_IMAGES.matcher(e.getKey());
      Matcher labels = IDX_LABELS.matcher(e.getKey());
      int slot;
      boolean gz;
      if (images.matches()) {
        slot = images.group(1).equals("train") ? 0 : 2;
        gz = images.group(2) != null;
      } else if (labels.matches()) {
        slot = labels.group(1).equals("train") ? 1 : 3;
        gz = labels.group(2) != null;
      } else {
        continue;
      }
      // Where both a file and its .gz are present, read the uncompressed one.
      if (slots[slot] == null || slots[slot].getFileName().toString().endsWith(".gz") && !gz) {
        slots[slot] = e.getValue();
      }
    }
    if (slots[0] == null && slots[1] == null && slots[2] == null && slots[3] == null) {
      return null;
    }
    String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int pair = 0; pair < 4; pair += 2) {
      if ((slots[pair] == null) != (slots[pair + 1] == null)) {
        int missing = slots[pair] == null ? pair : pair + 1;
        throw new DatasetException(dir, "IDX data without " + names[missing] + "[.gz] (found "
            + (slots[pair] == null ? slots[pair + 1] : slots[pair]).getFileName() + ")");
      }
    }
    if (slots[0] == null) {
      throw new DatasetException(dir, "IDX test files without training files (" + names[0]
          + "[.gz], " + names[1] + "[.gz])");
    }
    return new Idx(slots[0], slots[1], slots[2], slots[3]);
  }

  private static DataLayout cifarFolder(Path dir, Map<String, Path> files)
      throws DatasetException {
    Map<Integer, Path> batches = new java.util.TreeMap<>();
    Path test10 = null;
    Path train100 = null;
    Path test100 = null;
    for (Map.Entry<String, Path> e : files.entrySet()) {
      Matcher m = CIFAR10_TRAIN.matcher(e.getKey());
      if (m.matches()) {
        try {
          batches.put(Integer.parseInt(m.group(1)), e.getValue());
        } catch (NumberFormatException ex) {
          throw new DatasetException(e.getValue(), "batch number out of range");
        }
      } else if (CIFAR10_TEST.matcher(e.getKey()).matches()) {
        test10 = e.getValue();
      } else {
        Matcher c = CIFAR100.matcher(e.getKey());
        if (c.matches()) {
          if (c.group(1).equals("train")) {
            train100 = e.getValue();
          } else {
            test100 = e.getValue();
          }
        }
      }
    }
    boolean ten = !batches.isEmpty() || test10 != null;
    boolean hundred = train100 != null || test100 != null;
    if (ten && hundred) {
      throw new DatasetException(dir, "holds both CIFAR-10 batches (data_batch_N.bin) and "
          + "CIFAR-100 files (train.bin, test.bin)");
    }
    if (ten) {
      if (batches.isEmpty()) {
        throw new DatasetException(dir, "CIFAR-10 test_batch.bin without data_batch_N.bin files");
      }
      return new Cifar(new ArrayList<>(batches.values()),
          test10 == null ? List.of() : List.of(test10), 1);
    }
    if (hundred) {
      if (train100 == null) {
        throw new DatasetException(dir, "CIFAR-100 test.bin without train.bin");
      }
      return new Cifar(List.of(train100), test100 == null ? List.of() : List.of(test100), 2);
    }
    return null;
  }

  private static DataLayout numpyFolder(Path dir, Map<String, Path> files)
      throws DatasetException {
    List<Path> archives = new ArrayList<>();
    Map<String, Path> arrays = new LinkedHashMap<>();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      String n = e.getKey();
      if (n.toLowerCase(Locale.ROOT).endsWith(".npz")) {
        archives.add(e.getValue());
      } else if (n.endsWith(".npy")) {
        arrays.put(n.substring(0, n.length() - 4), e.getValue());
      }
    }
    DataLayout npy = null;
    if (arrays.containsKey("x_train") || arrays.containsKey("y_train")) {
      npy = new Npy(need(dir, arrays, "x_train"), need(dir, arrays, "y_train"),
          arrays.get("x_test"), arrays.get("y_test"));
      if ((arrays.get("x_test") == null) != (arrays.get("y_test") == null)) {
        throw new DatasetException(dir, "x_test.npy and y_test.npy go together; one is missing");
      }
    } else if (arrays.containsKey("x") || arrays.containsKey("y")) {
      npy = new Npy(need(dir, arrays, "x"), need(dir, arrays, "y"), null, null);
    } else if (!arrays.isEmpty() && archives.isEmpty()) {
      throw new DatasetException(dir, ".npy files " + arrays.keySet()
          + " but not x.npy/y.npy or x_train.npy/y_train.npy");
    }
    DataLayout npz = null;
    if (archives.size() == 1) {
      npz = new Npz(archives.get(0), null);
    } else if (archives.size() > 1) {
      Path train = files.get("train.npz");
      Path test = files.get("test.npz");
      if (train == null || archives.size() > (test == null ? 1 : 2)) {
        throw new DatasetException(dir, "several .npz archives " + archives.stream()
            .map(p -> p.getFileName().toString()).toList()
            + "; name the one to read, or call them train.npz and test.npz");
      }
      npz = new Npz(train, test);
    }
    if (npz != null && npy != null) {
      throw new DatasetException(dir, "holds both .npz archives and .npy arrays; name the one "
          + "to read");
    }
    return npz != null ? npz : npy;
  }

  private static Path need(Path dir, Map<String, Path> arrays, String name)
      throws DatasetException {
    Path p = arrays.get(name);
    if (p == null) {
      throw new DatasetException(dir, name + ".npy is missing (found " + arrays.keySet() + ")");
    }
    return p;
  }

  private static DataLayout csvFolder(Path dir, Map<String, Path> files) throws DatasetException {
    List<Path> csv = new ArrayList<>();
    for (Map.Entry<String, Path> e : files.entrySet()) {
      String n = e.getKey().toLowerCase(Locale.ROOT);
      if (n.endsWith(".csv") || n.endsWith(".tsv") || n.endsWith(".csv.gz")) {
        csv.add(e.getValue());
      }
    }
    if (csv.isEmpty()) {
      return null;
    }
    if (csv.size() == 1) {
      return new Csv(csv.get(0), null);
    }
    Path train = null;
    Path test = null;
    for (Path p : csv) {
      String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
      String stem = n.substring(0, n.indexOf('.'));
      if (stem.equals("train")) {
        train = p;
      } else if (stem.equals("test")) {
        test = p;
      }
    }
    if (train == null || csv.size() > (test == null ? 1 : 2)) {
      throw new DatasetException(dir, "several CSV files " + csv.stream()
          .map(p -> p.getFileName().toString()).toList()
          + "; name the one to read, or call them train.csv and test.csv");
    }
    return new Csv(train, test);
  }

  private static DataLayout file(Path file, DataFormat forced)
      throws IOException, DatasetException {
    byte[] head = FileSource.peek(file, 8);
    String name = file.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    DataFormat format = forced;
    if (format == null) {
      if (IdxReader.hasMagic(head, IdxReader.IMAGES_MAGIC)
          || IdxReader.hasMagic(head, IdxReader.LABELS_MAGIC)) {
        format = DataFormat.IDX;
      } else if (NpyReader.hasMagic(head) || isZip(file) || lower.endsWith(".npy")
          || lower.endsWith(".npz")) {
        format = DataFormat.NPZ;
      } else if (CIFAR10_TRAIN.matcher(name).matches() || CIFAR10_TEST.matcher(name).matches()
          || CIFAR100.matcher(name).matches()) {
        format = DataFormat.CIFAR;
      } else if (lower.endsWith(".csv") || lower.endsWith(".tsv") || lower.endsWith(".csv.gz")
          || lower.endsWith(".txt")) {
        format = DataFormat.CSV;
      } else if (lower.endsWith(".bin") && !FileSource.isGzip(file)
          && (Files.size(file) % CifarReader.recordSize(1) == 0
              || Files.size(file) % CifarReader.recordSize(2) == 0)) {
        format = DataFormat.CIFAR;
      } else {
        StringBuilder hex = new StringBuilder();
        for (byte b : head) {
          hex.append(String.format("%02x", b & 0xff));
        }
        throw new DatasetException(file, "cannot tell the data format (first bytes " + hex
            + "); choose one with --format idx|cifar|npz|csv");
      }
    }
    switch (format) {
      case IDX:
        return idxFile(file, head);
      case CIFAR: {
        int labelBytes;
        if (CIFAR100.matcher(name).matches()) {
          labelBytes = 2;
        } else if (CIFAR10_TRAIN.matcher(name).matches() || CIFAR10_TEST.matcher(name).matches()
            || FileSource.isGzip(file)) {
          labelBytes = 1;
        } else {
          long size = Files.size(file);
          labelBytes = size % CifarReader.recordSize(1) != 0
              && size % CifarReader.recordSize(2) == 0 ? 2 : 1;
        }
        return new Cifar(List.of(file), List.of(), labelBytes);
      }
      case NPZ:
        if (NpyReader.hasMagic(head) || lower.endsWith(".npy")) {
          return npyFile(file);
        }
        return new Npz(file, null);
      default:
        return new Csv(file, null);
    }
  }

  private static boolean isZip(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      byte[] b = in.readNBytes(4);
      return b.length == 4 && b[0] == 'P' && b[1] == 'K'
          && ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
    }
  }

  private static DataLayout idxFile(Path file, byte[] head) throws DatasetException {
    String name = file.getFileName().toString();
    boolean labels = IdxReader.hasMagic(head, IdxReader.LABELS_MAGIC)
        || (!IdxReader.hasMagic(head, IdxReader.IMAGES_MAGIC) && name.contains("labels"));
    String other = labels
        ? name.replace("labels", "images").replace("idx1", "idx3")
        : name.replace("images", "labels").replace("idx3", "idx1");
    Path sibling = findSibling(file, other);
    if (sibling == null) {
      throw new DatasetException(file, "no IDX " + (labels ? "images" : "labels")
          + " file next to it (looked for " + other + " and " + toggleGz(other) + ")");
    }
    return labels ? new Idx(sibling, file, null, null) : new Idx(file, sibling, null, null);
  }

  private static DataLayout npyFile(Path file) throws DatasetException {
    String name = file.getFileName().toString();
    char first = name.isEmpty() ? '?' : name.charAt(0);
    boolean isY = first == 'y' || first == 'Y';
    boolean isX = first == 'x' || first == 'X';
    if (!isX && !isY) {
      throw new DatasetException(file, "cannot tell the targets' file: name the inputs x*.npy "
          + "and the targets y*.npy (x.npy and y.npy, x_train.npy and y_train.npy)");
    }
    char swapped = isX ? (first == 'x' ? 'y' : 'Y') : (first == 'y' ? 'x' : 'X');
    String other = swapped + name.substring(1);
    Path sibling = findSibling(file, other);
    if (sibling == null) {
      throw new DatasetException(file, "no " + other + " next to it");
    }
    return isX ? new Npy(file, sibling, null, null) : new Npy(sibling, file, null, null);
  }

  private static Path findSibling(Path file, String name) {
    Path dir = file.toAbsolutePath().getParent();
    for (String n : List.of(name, toggleGz(name))) {
      Path p = dir.resolve(n);
      if (!n.equals(file.getFileName().toString()) && Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  private static String toggleGz(String name) {
    return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name + ".gz";
  }
}
