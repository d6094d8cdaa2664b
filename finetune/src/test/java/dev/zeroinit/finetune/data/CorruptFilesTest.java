package dev.zeroinit.finetune.data;

import static dev.zeroinit.finetune.data.TestFiles.arrays;
import static dev.zeroinit.finetune.data.TestFiles.gzip;
import static dev.zeroinit.finetune.data.TestFiles.idx;
import static dev.zeroinit.finetune.data.TestFiles.idxImages;
import static dev.zeroinit.finetune.data.TestFiles.idxLabels;
import static dev.zeroinit.finetune.data.TestFiles.npy;
import static dev.zeroinit.finetune.data.TestFiles.npz;
import static dev.zeroinit.finetune.data.TestFiles.pattern;
import static dev.zeroinit.finetune.data.TestFiles.write;
import static dev.zeroinit.finetune.data.TestFiles.writeText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated, corrupt and hostile files give one clear {@link DatasetException} naming the file and
 * the problem — and never allocate what a header merely claims.
 */
class CorruptFilesTest {
  @TempDir Path dir;

  private DatasetException fails(Path path, String... fragments) {
    return fails(path, DataOptions.defaults(), fragments);
  }

  private DatasetException fails(Path path, DataOptions options, String... fragments) {
    DatasetException e =
        assertThrows(DatasetException.class, () -> DataLoader.load(path, options));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.oneLine());
    }
    assertTrue(e.file() != null && e.oneLine().startsWith(e.file().toString()), e.oneLine());
    return e;
  }

  private Path idxPair(byte[] images, byte[] labels, boolean gz) throws Exception {
    String ext = gz ? ".gz" : "";
    write(dir.resolve("train-labels-idx1-ubyte" + ext), gz ? gzip(labels) : labels);
    return write(dir.resolve("train-images-idx3-ubyte" + ext), gz ? gzip(images) : images);
  }

  @Test
  void truncatedIdxImages() throws Exception {
    byte[] full = idxImages(3, 4, 4, pattern(48, 0));
    Path images = idxPair(Arrays.copyOf(full, full.length - 5), idxLabels(new byte[3]), false);
    DatasetException e = fails(dir, "truncated", "3 images of 4x4");
    assertEquals(images, e.file());
  }

  @Test
  void trailingBytesAfterIdxImages() throws Exception {
    byte[] full = idxImages(3, 4, 4, pattern(48, 0));
    idxPair(Arrays.copyOf(full, full.length + 3), idxLabels(new byte[3]), false);
    fails(dir, "3 unexpected bytes");
  }

  @Test
  void truncatedGzipStream() throws Exception {
    byte[] gz = gzip(idxImages(50, 28, 28, pattern(50 * 784, 0)));
    write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idxLabels(new byte[50])));
    write(dir.resolve("train-images-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
    fails(dir, "truncated");
  }

  @Test
  void corruptGzipData() throws Exception {
    byte[] gz = gzip(idxImages(50, 28, 28, pattern(50 * 784, 0)));
    for (int i = 20; i < gz.length - 20; i += 7) {
      gz[i] ^= 0x5a;
    }
    write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(idxLabels(new byte[50])));
    write(dir.resolve("train-images-idx3-ubyte.gz"), gz);
    fails(dir, "compressed data");
  }

  @Test
  void hugeIdxHeaderInATinyFileIsRefusedBeforeAllocating() throws Exception {
    // 2^20 images of 2^10 x 2^10 pixels = 2^40 bytes claimed by a 30-byte file.
    byte[] hostile = idx(0x00000803, new int[] {1 << 20, 1 << 10, 1 << 10}, new byte[14]);
    idxPair(hostile, idxLabels(new byte[3]), false);
    fails(dir, "truncated", "1048576 images of 1024x1024");
    // Compressed: the claim exceeds what deflate can expand the file to.
    java.nio.file.Files.delete(dir.resolve("train-images-idx3-ubyte"));
    java.nio.file.Files.delete(dir.resolve("train-labels-idx1-ubyte"));
    idxPair(hostile, idxLabels(new byte[3]), true);
    fails(dir, "more than", "compressed bytes can hold");
    // Dimensions whose product overflows a long.
    byte[] overflow = idx(0x00000803, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MAX_VALUE}, new byte[0]);
    idxPair(overflow, idxLabels(new byte[3]), false);
    fails(dir, "too large");
  }

  @Test
  void badIdxMagicAndTypes() throws Exception {
    Path images = write(dir.resolve("train-images-idx3-ubyte"), new byte[] {1, 2, 3, 4, 0, 0, 0});
    write(dir.resolve("train-labels-idx1-ubyte"), idxLabels(new byte[1]));
    fails(images, DataOptions.defaults().withFormat(DataFormat.IDX), "magic number 0x01020304");
    write(dir.resolve("train-images-idx3-ubyte"),
        idx(0x00000d03, new int[] {1, 1, 1}, new byte[4]));
    fails(dir, "element type 0x0d", "float");
    write(dir.resolve("train-images-idx3-ubyte"),
        idx(0x00000803, new int[] {0, 1, 1}, new byte[0]));
    fails(dir, "dimension 0 is 0");
  }

  @Test
  void idxImageAndLabelCountsMustAgree() throws Exception {
    idxPair(idxImages(3, 2, 2, new byte[12]), idxLabels(new byte[2]), false);
    fails(dir, "3 images but train-labels-idx1-ubyte has 2 labels");
  }

  @Test
  void cifarFileOfTheWrongSizeOrLabels() throws Exception {
    byte[] rec = TestFiles.cifar(new int[][] {{1}, {2}}, pattern(2 * 3072, 0));
    write(dir.resolve("data_batch_1.bin"), Arrays.copyOf(rec, rec.length - 1));
    fails(dir, "not a whole number of CIFAR-10 records");
    write(dir.resolve("data_batch_1.bin"),
        TestFiles.cifar(new int[][] {{1}, {12}}, pattern(2 * 3072, 0)));
    fails(dir, "record 1: label 12 is out of range for CIFAR-10");
    // A gzip CIFAR file that ends inside a record.
    write(dir.resolve("data_batch_1.bin"), new byte[0]);
    java.nio.file.Files.delete(dir.resolve("data_batch_1.bin"));
    write(dir.resolve("data_batch_1.bin.gz"), gzip(Arrays.copyOf(rec, 3073 + 100)));
    fails(dir, "truncated: record 1 has 100 of 3073 bytes");
  }

  @Test
  void npyHeaderClaimsMoreThanTheFile() throws Exception {
    byte[] good = npy("<f4", new long[] {1000000, 1000}, new byte[16]);
    write(dir.resolve("x.npy"), good);
    write(dir.resolve("y.npy"), npy("<i8", new long[] {1000000}, new byte[8]));
    fails(dir, "truncated", "shape [1000000, 1000]");
  }

  @Test
  void npyBadHeaders() throws Exception {
    write(dir.resolve("y.npy"), npy("<i8", new long[] {1}, TestFiles.i8(0)));
    Path x = dir.resolve("x.npy");
    write(x, npy("<c8", new long[] {1}, new byte[8]));
    fails(dir, "unsupported .npy dtype '<c8'");
    byte[] fortran = npy("<f4", new long[] {1}, new byte[4]);
    String s = new String(fortran, StandardCharsets.ISO_8859_1).replace("False", "True ");
    write(x, s.getBytes(StandardCharsets.ISO_8859_1));
    fails(dir, "Fortran order");
    String list = new String(npy("<f4", new long[] {1}, new byte[4]),
        StandardCharsets.ISO_8859_1).replace("(1,)", "[1] ");
    write(x, list.getBytes(StandardCharsets.ISO_8859_1));
    fails(dir, "bad .npy header", "unexpected '['");
    String unterminated = new String(npy("<f4", new long[] {1}, new byte[4]),
        StandardCharsets.ISO_8859_1).replace("'<f4'", "'<f4 ");
    write(x, unterminated.getBytes(StandardCharsets.ISO_8859_1));
    fails(dir, "bad .npy header");
    write(x, "\u0093NUMPX".getBytes(StandardCharsets.ISO_8859_1));
    fails(x, "not a NumPy .npy array");
  }

  @Test
  void npyCountsMustAgree() throws Exception {
    write(dir.resolve("x.npy"), npy("<f4", new long[] {2, 1}, TestFiles.f4(1, 2)));
    write(dir.resolve("y.npy"), npy("<i8", new long[] {3}, TestFiles.i8(0, 1, 2)));
    fails(dir, "2 samples", "have 3");
    write(dir.resolve("y.npy"), npy("<i8", new long[] {2}, TestFiles.i8(0, -1)));
    fails(dir, "y.npy[1] = -1.0 is not a class label");
  }

  @Test
  void corruptAndHostileNpz() throws Exception {
    byte[] zip = npz(arrays("x", npy("<f4", new long[] {2, 2}, TestFiles.f4(1, 2, 3, 4)),
        "y", npy("<i8", new long[] {2}, TestFiles.i8(0, 1))), true);
    Path f = write(dir.resolve("d.npz"), Arrays.copyOf(zip, zip.length - 30));
    fails(f, "not a valid .npz");
    // A deflated entry whose header claims 4 GB of floats: refused (or truncated), not allocated.
    byte[] hostile = npz(arrays("x", npy("<f4", new long[] {1 << 20, 1 << 10}, new byte[64]),
        "y", npy("<i8", new long[] {1 << 20}, new byte[8])), true);
    write(f, hostile);
    fails(f, ".npy: the header describes", "compressed bytes can hold");
    // Stored: the entry's exact size shows the truncation.
    write(f, npz(arrays("x", npy("<f4", new long[] {1 << 20, 1 << 10}, new byte[64]),
        "y", npy("<i8", new long[] {1 << 20}, new byte[8])), false));
    fails(f, "truncated");
    // Missing arrays are listed.
    write(f, npz(arrays("a", npy("<f4", new long[] {1}, TestFiles.f4(1))), false));
    fails(f, "no array 'x'", "[a]");
  }

  @Test
  void csvRaggedRowsAndBadNumbers() throws Exception {
    Path f = dir.resolve("d.csv");
    writeText(f, "a,b,c\n1,2,0\n3,4\n");
    fails(f, "line 3 has 2 fields");
    writeText(f, "a,b,c\n1,2,0\n3,x4,1\n");
    fails(f, "line 3, column 2 (b): 'x4' is not a finite number");
    writeText(f, "a,b,c\n1,2,0\n3,NaN,1\n");
    fails(f, "'NaN' is not a finite number");
    writeText(f, "a,b,c\n1,\"2,0\n");
    fails(f, "unterminated quoted field");
    writeText(f, "a,b,c\n1,2,0.5\n");
    fails(f, DataOptions.defaults().withTargetKind(DataOptions.TargetKind.CLASSES),
        "line 2, target column 3 (c): '0.5' is not a class label");
    writeText(f, "a,b,c\n");
    fails(f, "no data rows");
    writeText(f, "a,b,c\n1,2,3\n");
    fails(f, DataOptions.defaults().withLabelColumn("d"), "'d' is not a column");
    fails(f, DataOptions.defaults().withLabelColumn("7"), "outside the 3 columns");
  }

  @Test
  void testFractionThatLeavesNothing() throws Exception {
    Path f = dir.resolve("d.csv");
    writeText(f, "1,0\n2,1\n3,0\n");
    fails(f, DataOptions.defaults().withTestFraction(0.01), "no test samples");
  }
}
