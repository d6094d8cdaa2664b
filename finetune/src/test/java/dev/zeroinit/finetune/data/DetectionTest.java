package dev.zeroinit.finetune.data;

import static dev.zeroinit.finetune.data.TestFiles.idxImages;
import static dev.zeroinit.finetune.data.TestFiles.idxLabels;
import static dev.zeroinit.finetune.data.TestFiles.npy;
import static dev.zeroinit.finetune.data.TestFiles.pattern;
import static dev.zeroinit.finetune.data.TestFiles.write;
import static dev.zeroinit.finetune.data.TestFiles.writeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format detection from names and magic numbers, and {@code --format}. */
class DetectionTest {
  @TempDir Path dir;

  @Test
  void formatNamesParse() {
    assertEquals(DataFormat.IDX, DataFormat.parse("IDX"));
    assertEquals(DataFormat.CIFAR, DataFormat.parse("cifar"));
    assertEquals(DataFormat.NPZ, DataFormat.parse("npy"));
    assertEquals(DataFormat.CSV, DataFormat.parse(" csv "));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DataFormat.parse("parquet"));
    assertTrue(e.getMessage().contains("idx, cifar, npz or csv"), e.getMessage());
  }

  @Test
  void magicNumbersDecideOverNames() throws Exception {
    // IDX files under arbitrary names are still IDX, found by the magic number.
    Path images = write(dir.resolve("my-images.bin"),
        TestFiles.gzip(idxImages(2, 2, 2, pattern(8, 0))));
    write(dir.resolve("my-labels.bin"), idxLabels(new byte[] {1, 0}));
    assertEquals(DataFormat.IDX, DataLoader.detect(images));
    assertEquals(2, DataLoader.load(images, DataOptions.defaults()).train().size());
    // A .npy under an odd name is found by its magic.
    Path x = write(dir.resolve("xdata.weird"), npy("<f4", new long[] {1, 1},
        TestFiles.f4(1f)));
    write(dir.resolve("ydata.weird"), npy("|u1", new long[] {1}, new byte[] {3}));
    assertEquals(DataFormat.NPZ, DataLoader.detect(x));
    assertEquals(3, DataLoader.load(x, DataOptions.defaults()).train().label(0));
    // A zip is an npz.
    Path z = write(dir.resolve("archive.bin"), TestFiles.npz(TestFiles.arrays(
        "x", npy("<f4", new long[] {1, 1}, TestFiles.f4(1f)),
        "y", npy("<i8", new long[] {1}, TestFiles.i8(0))), true));
    assertEquals(DataFormat.NPZ, DataLoader.detect(z));
  }

  @Test
  void cifarFileRecognisedBySize() throws Exception {
    Path f = write(dir.resolve("batch.bin"),
        TestFiles.cifar(new int[][] {{1}, {2}}, pattern(2 * 3072, 0)));
    assertEquals(DataFormat.CIFAR, DataLoader.detect(f));
    assertEquals(2, DataLoader.load(f, DataOptions.defaults()).train().size());
  }

  @Test
  void cifarInsideItsArchiveFolder() throws Exception {
    Path sub = dir.resolve("cifar-10-batches-bin");
    write(sub.resolve("data_batch_1.bin"),
        TestFiles.cifar(new int[][] {{1}}, pattern(3072, 0)));
    assertEquals(DataFormat.CIFAR, DataLoader.detect(dir));
  }

  @Test
  void severalFormatsInOneFolderNeedFormat() throws Exception {
    FormatsTest.writeIdx(dir, false);
    writeText(dir.resolve("extra.csv"), "1,0\n2,1\n");
    DatasetException e = assertThrows(DatasetException.class, () -> DataLoader.detect(dir));
    assertTrue(e.getMessage().contains("--format") && e.getMessage().contains("idx")
        && e.getMessage().contains("csv"), e.getMessage());
    assertEquals(dir, e.file());
    assertEquals(5, DataLoader.load(dir, DataOptions.defaults().withFormat(DataFormat.IDX))
        .train().size());
    assertEquals(2, DataLoader.load(dir, DataOptions.defaults().withFormat(DataFormat.CSV))
        .train().size());
  }

  @Test
  void forcedFormatWithNothingOfItSaysWhatItLooksFor() throws Exception {
    FormatsTest.writeIdx(dir, false);
    DatasetException e = assertThrows(DatasetException.class,
        () -> DataLoader.load(dir, DataOptions.defaults().withFormat(DataFormat.CIFAR)));
    assertTrue(e.getMessage().contains("data_batch_N.bin"), e.getMessage());
  }

  @Test
  void forcedFormatOnAFileReadsIt() throws Exception {
    Path f = dir.resolve("numbers.dat");
    writeText(f, "1,2,1\n3,4,0\n");
    DatasetException e = assertThrows(DatasetException.class, () -> DataLoader.detect(f));
    assertTrue(e.getMessage().contains("cannot tell"), e.getMessage());
    assertEquals(2, DataLoader.load(f, DataOptions.defaults().withFormat(DataFormat.CSV))
        .train().size());
  }

  @Test
  void emptyFolderAndMissingPath() throws Exception {
    DatasetException e = assertThrows(DatasetException.class, () -> DataLoader.detect(dir));
    assertTrue(e.getMessage().contains("no data files recognised"), e.getMessage());
    assertThrows(NoSuchFileException.class, () -> DataLoader.detect(dir.resolve("absent")));
  }

  @Test
  void idxFolderMissingItsLabels() throws Exception {
    write(dir.resolve("train-images-idx3-ubyte"), idxImages(1, 1, 1, new byte[1]));
    DatasetException e = assertThrows(DatasetException.class, () -> DataLoader.detect(dir));
    assertTrue(e.getMessage().contains("train-labels-idx1-ubyte"), e.getMessage());
    Files.delete(dir.resolve("train-images-idx3-ubyte"));
    Path lone = write(dir.resolve("a-images-idx3-ubyte"), idxImages(1, 1, 1, new byte[1]));
    e = assertThrows(DatasetException.class, () -> DataLoader.detect(lone));
    assertTrue(e.getMessage().contains("a-labels-idx1-ubyte"), e.getMessage());
  }
}
