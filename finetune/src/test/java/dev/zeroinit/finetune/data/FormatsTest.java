package dev.zeroinit.finetune.data;

import static dev.zeroinit.finetune.data.TestFiles.arrays;
import static dev.zeroinit.finetune.data.TestFiles.f4;
import static dev.zeroinit.finetune.data.TestFiles.f8;
import static dev.zeroinit.finetune.data.TestFiles.gzip;
import static dev.zeroinit.finetune.data.TestFiles.i8;
import static dev.zeroinit.finetune.data.TestFiles.idxImages;
import static dev.zeroinit.finetune.data.TestFiles.idxLabels;
import static dev.zeroinit.finetune.data.TestFiles.npy;
import static dev.zeroinit.finetune.data.TestFiles.npz;
import static dev.zeroinit.finetune.data.TestFiles.pattern;
import static dev.zeroinit.finetune.data.TestFiles.write;
import static dev.zeroinit.finetune.data.TestFiles.writeText;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each format written small and read back exactly. */
class FormatsTest {
  @TempDir Path dir;

  static float[] sample(Dataset d, int i) {
    float[] out = new float[d.sampleSize()];
    d.sample(i, out, 0);
    return out;
  }

  static float[] unit(byte[] b, int from, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (b[from + i] & 0xff) / 255f;
    }
    return out;
  }

  static int[] labels(Dataset d) {
    int[] out = new int[d.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = d.label(i);
    }
    return out;
  }

  // --- IDX -----------------------------------------------------------------------------------

  static final byte[] TRAIN_PIXELS = pattern(5 * 4 * 3, 11);
  static final byte[] TRAIN_LABELS = {3, 0, 9, 1, 2};
  static final byte[] TEST_PIXELS = pattern(2 * 4 * 3, 200);
  static final byte[] TEST_LABELS = {7, 4};

  static void writeIdx(Path dir, boolean gz) throws IOException {
    String ext = gz ? ".gz" : "";
    byte[][] files = {idxImages(5, 4, 3, TRAIN_PIXELS), idxLabels(TRAIN_LABELS),
        idxImages(2, 4, 3, TEST_PIXELS), idxLabels(TEST_LABELS)};
    String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++) {
      write(dir.resolve(names[i] + ext), gz ? gzip(files[i]) : files[i]);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void idxFolderGivesTrainAndTest(boolean gz) throws Exception {
    writeIdx(dir, gz);
    assertEquals(DataFormat.IDX, DataLoader.detect(dir));
    DataSplits s = DataLoader.load(dir, DataOptions.defaults());
    assertEquals(DataSplits.TestSource.OWN, s.testSource());
    Dataset train = s.train();
    assertEquals(5, train.size());
    assertArrayEquals(new int[] {1, 4, 3}, train.shape());
    assertArrayEquals(new int[] {1, 4, 3}, train.imageShape());
    assertTrue(train.storedAsBytes());
    assertEquals(10, train.numClasses());
    assertArrayEquals(new int[] {3, 0, 9, 1, 2}, labels(train));
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(unit(TRAIN_PIXELS, i * 12, 12), sample(train, i), "sample " + i);
    }
    Dataset test = s.test();
    assertEquals(2, test.size());
    assertEquals(10, test.numClasses());
    assertArrayEquals(new int[] {7, 4}, labels(test));
    assertArrayEquals(unit(TEST_PIXELS, 12, 12), sample(test, 1));
  }

  @Test
  void idxFileFindsItsLabelsAndHasNoTestSet() throws Exception {
    writeIdx(dir, true);
    Path images = dir.resolve("train-images-idx3-ubyte.gz");
    assertEquals(DataFormat.IDX, DataLoader.detect(images));
    DataSplits s = DataLoader.load(images, DataOptions.defaults());
    assertEquals(5, s.train().size());
    assertNull(s.test());
    assertEquals(DataSplits.TestSource.NONE, s.testSource());
    // The labels file finds its images too.
    DataSplits fromLabels = DataLoader.load(dir.resolve("t10k-labels-idx1-ubyte.gz"),
        DataOptions.defaults());
    assertArrayEquals(new int[] {7, 4}, labels(fromLabels.train()));
  }

  @Test
  void limitReadsTheFirstSamplesOfEachSplit() throws Exception {
    writeIdx(dir, false);
    DataSplits s = DataLoader.load(dir, DataOptions.defaults().withLimit(3));
    assertEquals(3, s.train().size());
    assertArrayEquals(new int[] {3, 0, 9}, labels(s.train()));
    assertEquals(10, s.train().numClasses(), "class count from the whole labels file");
    assertArrayEquals(unit(TRAIN_PIXELS, 24, 12), sample(s.train(), 2));
    assertEquals(2, s.test().size());
  }

  @Test
  void flattenShowsOneDimension() throws Exception {
    writeIdx(dir, false);
    DataSplits s = DataLoader.load(dir, DataOptions.defaults().withFlatten(true));
    assertArrayEquals(new int[] {12}, s.train().shape());
    assertArrayEquals(new int[] {12}, s.test().shape());
    assertArrayEquals(new int[] {1, 4, 3}, s.train().imageShape());
    assertArrayEquals(unit(TRAIN_PIXELS, 0, 12), sample(s.train(), 0));
  }

  // --- CIFAR ---------------------------------------------------------------------------------

  @Test
  void cifar10BatchesReadInOrder() throws Exception {
    byte[] p1 = pattern(3 * 3072, 1);
    byte[] p2 = pattern(2 * 3072, 50);
    byte[] pt = pattern(2 * 3072, 99);
    write(dir.resolve("data_batch_1.bin"), TestFiles.cifar(new int[][] {{6}, {9}, {0}}, p1));
    write(dir.resolve("data_batch_2.bin"), TestFiles.cifar(new int[][] {{1}, {2}}, p2));
    write(dir.resolve("test_batch.bin"), TestFiles.cifar(new int[][] {{3}, {8}}, pt));
    write(dir.resolve("batches.meta.txt"), "airplane\n".getBytes());
    assertEquals(DataFormat.CIFAR, DataLoader.detect(dir));
    DataSplits s = DataLoader.load(dir, DataOptions.defaults());
    Dataset train = s.train();
    assertEquals(5, train.size());
    assertArrayEquals(new int[] {3, 32, 32}, train.shape());
    assertEquals(10, train.numClasses());
    assertArrayEquals(new int[] {6, 9, 0, 1, 2}, labels(train));
    assertArrayEquals(unit(p1, 2 * 3072, 3072), sample(train, 2));
    assertArrayEquals(unit(p2, 3072, 3072), sample(train, 4));
    assertArrayEquals(new int[] {3, 8}, labels(s.test()));
    assertArrayEquals(unit(pt, 0, 3072), sample(s.test(), 0));
    // One batch file on its own.
    DataSplits one = DataLoader.load(dir.resolve("data_batch_2.bin"), DataOptions.defaults());
    assertArrayEquals(new int[] {1, 2}, labels(one.train()));
    assertNull(one.test());
  }

  @Test
  void cifar100UsesTheFineLabel() throws Exception {
    byte[] p = pattern(2 * 3072, 3);
    write(dir.resolve("train.bin"), TestFiles.cifar(new int[][] {{19, 99}, {4, 30}}, p));
    write(dir.resolve("test.bin"), TestFiles.cifar(new int[][] {{0, 5}}, pattern(3072, 8)));
    DataSplits s = DataLoader.load(dir, DataOptions.defaults());
    assertEquals(DataFormat.CIFAR, s.train().format());
    assertEquals(100, s.train().numClasses());
    assertArrayEquals(new int[] {99, 30}, labels(s.train()));
    assertArrayEquals(unit(p, 3072, 3072), sample(s.train(), 1));
    assertArrayEquals(new int[] {5}, labels(s.test()));
  }

  // --- NumPy ---------------------------------------------------------------------------------

  @Test
  void npyPairOfFloatsAndInt64Labels() throws Exception {
    float[] x = new float[4 * 2 * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = i * 0.25f - 3;
    }
    write(dir.resolve("x.npy"), npy("<f4", new long[] {4, 2, 3}, f4(x)));
    write(dir.resolve("y.npy"), npy("<i8", new long[] {4}, i8(2, 0, 1, 5)));
    assertEquals(DataFormat.NPZ, DataLoader.detect(dir));
    Dataset d = DataLoader.load(dir, DataOptions.defaults()).train();
    assertArrayEquals(new int[] {1, 2, 3}, d.shape());
    assertFalse(d.storedAsBytes());
    assertEquals(6, d.numClasses());
    assertArrayEquals(new int[] {2, 0, 1, 5}, labels(d));
    for (int i = 0; i < 4; i++) {
      float[] want = new float[6];
      System.arraycopy(x, i * 6, want, 0, 6);
      assertArrayEquals(want, sample(d, i));
    }
    // Either file of the pair finds the other.
    assertEquals(4, DataLoader.load(dir.resolve("y.npy"), DataOptions.defaults()).train().size());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void npzWithTrainAndTestArrays(boolean deflate) throws Exception {
    byte[] xtr = pattern(3 * 2 * 2, 7);
    byte[] xte = pattern(2 * 2 * 2, 70);
    Path file = write(dir.resolve("data.npz"), npz(arrays(
        "x_train", npy("|u1", new long[] {3, 2, 2}, xtr),
        "y_train", npy("|u1", new long[] {3}, new byte[] {1, 0, 2}),
        "x_test", npy("|u1", new long[] {2, 2, 2}, xte),
        "y_test", npy("<i4", new long[] {2}, TestFiles.i4(2, 1))), deflate));
    assertEquals(DataFormat.NPZ, DataLoader.detect(file));
    assertEquals(DataFormat.NPZ, DataLoader.detect(dir));
    DataSplits s = DataLoader.load(file, DataOptions.defaults());
    assertArrayEquals(new int[] {1, 2, 2}, s.train().shape());
    assertTrue(s.train().storedAsBytes());
    assertArrayEquals(new int[] {1, 0, 2}, labels(s.train()));
    assertArrayEquals(unit(xtr, 8, 4), sample(s.train(), 2));
    assertArrayEquals(new int[] {2, 1}, labels(s.test()));
    assertArrayEquals(unit(xte, 4, 4), sample(s.test(), 1));
    assertEquals(DataSplits.TestSource.OWN, s.testSource());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void npzWithFloat64InputsAndRegressionTargets(boolean deflate) throws Exception {
    double[] x = {0.1, 0.2, 0.3, 0.4, 0.5, -1e-3, 2, 3, 4, 5, 1e10, 7, 8, 9, 10};
    Path file = write(dir.resolve("reg.npz"), npz(arrays(
        "x", npy("<f8", new long[] {3, 5}, f8(x)),
        "y", npy("<f4", new long[] {3, 2}, f4(1.5f, -2f, 0f, 3f, 4.25f, 5f))), deflate));
    Dataset d = DataLoader.load(file, DataOptions.defaults()).train();
    assertArrayEquals(new int[] {5}, d.shape());
    assertFalse(d.hasClasses());
    assertEquals(2, d.targetSize());
    float[] want = new float[5];
    for (int j = 0; j < 5; j++) {
      want[j] = (float) x[5 + j];
    }
    assertArrayEquals(want, sample(d, 1));
    float[] t = new float[2];
    d.target(2, t, 0);
    assertArrayEquals(new float[] {4.25f, 5f}, t);
  }

  @Test
  void channelsLastArraysAreTransposed() throws Exception {
    // Two 2x2 RGB images, values c + 10*(y*2+x) + 100*n.
    byte[] hwc = new byte[2 * 2 * 2 * 3];
    int k = 0;
    for (int n = 0; n < 2; n++) {
      for (int p = 0; p < 4; p++) {
        for (int c = 0; c < 3; c++) {
          hwc[k++] = (byte) (c + 10 * p + 100 * n);
        }
      }
    }
    write(dir.resolve("x_train.npy"), npy("|u1", new long[] {2, 2, 2, 3}, hwc));
    write(dir.resolve("y_train.npy"), npy("|u1", new long[] {2, 1}, new byte[] {0, 1}));
    Dataset d = DataLoader.load(dir, DataOptions.defaults()).train();
    assertArrayEquals(new int[] {3, 2, 2}, d.shape());
    for (int c = 0; c < 3; c++) {
      for (int p = 0; p < 4; p++) {
        assertEquals((c + 10 * p + 100) / 255f, d.feature(1, c * 4 + p), 0f);
      }
    }
    assertArrayEquals(new int[] {0, 1}, labels(d));
  }

  // --- CSV -----------------------------------------------------------------------------------

  @Test
  void csvWithHeaderAndClassLabels() throws Exception {
    Path f = dir.resolve("iris.csv");
    writeText(f, "a,b,label\n1,2,0\n\n3.5,-1e-2,2\n\"7\", 8 ,1\n");
    assertEquals(DataFormat.CSV, DataLoader.detect(f));
    Dataset d = DataLoader.load(f, DataOptions.defaults()).train();
    assertEquals(3, d.size());
    assertArrayEquals(new int[] {2}, d.shape());
    assertEquals(3, d.numClasses());
    assertArrayEquals(new int[] {0, 2, 1}, labels(d));
    assertArrayEquals(new float[] {3.5f, -1e-2f}, sample(d, 1));
    assertArrayEquals(new float[] {7f, 8f}, sample(d, 2));
  }

  @Test
  void csvWithoutHeaderSemicolonsAndRegression() throws Exception {
    Path f = dir.resolve("data.csv");
    writeText(f, "1;2;0.5\n3;4;-1.25\n");
    DataSplits s = DataLoader.load(f, DataOptions.defaults());
    Dataset d = s.train();
    assertEquals(2, d.size());
    assertFalse(d.hasClasses());
    float[] t = new float[1];
    d.target(1, t, 0);
    assertEquals(-1.25f, t[0]);
    assertArrayEquals(new float[] {1f, 2f}, sample(d, 0));
  }

  @Test
  void csvLabelColumnByNameAndClassNames() throws Exception {
    Path f = dir.resolve("train.csv");
    writeText(f, "species,x,y\nvirginica,1,2\nsetosa,3,4\nvirginica,5,6\n");
    Path t = dir.resolve("test.csv");
    writeText(t, "species,x,y\nversicolor,7,8\n");
    assertEquals(DataFormat.CSV, DataLoader.detect(dir));
    DataSplits s = DataLoader.load(dir, DataOptions.defaults().withLabelColumn("species"));
    assertEquals(List.of("setosa", "versicolor", "virginica"), s.train().classNames());
    assertArrayEquals(new int[] {2, 0, 2}, labels(s.train()));
    assertArrayEquals(new int[] {1}, labels(s.test()));
    assertEquals(3, s.test().numClasses());
    assertArrayEquals(new float[] {3f, 4f}, sample(s.train(), 1));
    // By index (0 is the first column), the training file alone: two classes.
    DataSplits byIndex = DataLoader.load(f, DataOptions.defaults().withLabelColumn("0"));
    assertEquals(List.of("setosa", "virginica"), byIndex.train().classNames());
    assertArrayEquals(new int[] {1, 0, 1}, labels(byIndex.train()));
  }

  @Test
  void gzipCsvAndBadUtf8() throws Exception {
    Path f = write(dir.resolve("d.csv.gz"),
        gzip("f1,f2,y\n0.5,1,1\n2,3,0\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(DataFormat.CSV, DataLoader.detect(f));
    Dataset d = DataLoader.load(f, DataOptions.defaults()).train();
    assertArrayEquals(new int[] {1, 0}, labels(d));
    assertArrayEquals(new float[] {0.5f, 1f}, sample(d, 0));
    Path bad = write(dir.resolve("bad.csv"), new byte[] {'1', ',', (byte) 0xff, '\n'});
    DatasetException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetException.class,
        () -> DataLoader.load(bad, DataOptions.defaults()));
    assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
  }

  @Test
  void csvWithoutHeaderForcedAndTabs() throws Exception {
    Path f = dir.resolve("t.tsv");
    writeText(f, "1\t2\t3\n4\t5\t6\n");
    DataSplits s = DataLoader.load(f, DataOptions.defaults()
        .withHeader(DataOptions.Header.ABSENT).withTargetKind(DataOptions.TargetKind.VALUES));
    assertEquals(2, s.train().size());
    assertFalse(s.train().hasClasses());
    assertArrayEquals(new float[] {4f, 5f}, sample(s.train(), 1));
  }

  // --- test split ----------------------------------------------------------------------------

  @Test
  void testFractionCarvesADeterministicDisjointSplit() throws Exception {
    StringBuilder csv = new StringBuilder("f,label\n");
    for (int i = 0; i < 100; i++) {
      csv.append(i).append(',').append(i % 3).append('\n');
    }
    Path f = dir.resolve("d.csv");
    writeText(f, csv.toString());
    DataOptions o = DataOptions.defaults().withTestFraction(0.2);
    DataSplits a = DataLoader.load(f, o);
    DataSplits b = DataLoader.load(f, o.withSeed(99));
    assertEquals(DataSplits.TestSource.CARVED, a.testSource());
    assertEquals(80, a.train().size());
    assertEquals(20, a.test().size());
    boolean[] seen = new boolean[100];
    for (Dataset d : List.of(a.train(), a.test())) {
      float prev = -1;
      for (int i = 0; i < d.size(); i++) {
        int v = (int) d.feature(i, 0);
        assertFalse(seen[v], "sample " + v + " in both splits");
        seen[v] = true;
        assertTrue(v > prev, "file order kept");
        prev = v;
        assertEquals(v % 3, d.label(i));
      }
    }
    // The training seed does not move the split; the split seed does.
    for (int i = 0; i < 20; i++) {
      assertEquals(a.test().feature(i, 0), b.test().feature(i, 0));
    }
    DataSplits c = DataLoader.load(f, o.withSplitSeed(5));
    boolean differs = false;
    for (int i = 0; i < 20; i++) {
      differs |= a.test().feature(i, 0) != c.test().feature(i, 0);
    }
    assertTrue(differs);
  }

  @Test
  void ownTestSetWinsOverTestFraction() throws Exception {
    writeIdx(dir, false);
    DataSplits s = DataLoader.load(dir, DataOptions.defaults().withTestFraction(0.5));
    assertEquals(DataSplits.TestSource.OWN, s.testSource());
    assertEquals(5, s.train().size());
  }

  @Test
  void headReturnsItselfWhenLongEnough() throws Exception {
    writeIdx(dir, false);
    Dataset d = DataLoader.load(dir, DataOptions.defaults()).train();
    assertSame(d, d.head(10));
    assertEquals(2, d.head(2).size());
  }
}
