package dev.zeroinit.finetune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Debian's Fashion-MNIST ({@code apt-get install dataset-fashion-mnist}): the real files, and how
 * long reading them and assembling an epoch take.
 */
class FashionMnistTest {
  static final String FOLDER = "/usr/share/datasets/fashion-mnist";

  static Path folder() {
    return Fixtures.requireDirectory(
        Path.of(System.getProperty("zeroinit.fashion.mnist", FOLDER)),
        "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
  }

  @Test
  void readsTrainAndTestAndTimesAnEpoch() throws Exception {
    Path dir = folder();
    assertEquals(DataFormat.IDX, DataLoader.detect(dir));
    long t0 = System.nanoTime();
    DataSplits s = DataLoader.load(dir, DataOptions.defaults());
    long loaded = System.nanoTime() - t0;

    Dataset train = s.train();
    Dataset test = s.test();
    assertEquals(60_000, train.size());
    assertEquals(10_000, test.size());
    assertArrayEquals(new int[] {1, 28, 28}, train.shape());
    assertArrayEquals(new int[] {1, 28, 28}, test.shape());
    assertEquals(10, train.numClasses());
    assertEquals(9, train.label(0), "the first training image is an ankle boot");
    int[] perClass = new int[10];
    for (int i = 0; i < train.size(); i++) {
      perClass[train.label(i)]++;
    }
    for (int c = 0; c < 10; c++) {
      assertEquals(6000, perClass[c], "class " + c);
    }
    for (int i = 0; i < test.size(); i++) {
      assertTrue(test.label(i) >= 0 && test.label(i) < 10);
    }
    float max = 0;
    for (int j = 0; j < 784; j++) {
      float v = train.feature(0, j);
      assertTrue(v >= 0 && v <= 1);
      max = Math.max(max, v);
    }
    assertEquals(1f, max, "the ankle boot has a white pixel");

    Batches batches = Batches.of(train, 64, true,
        DataOptions.defaults().withNormalization(Normalization.of(0.2860f, 0.3530f)).withSeed(1));
    float[] x = new float[64 * 784];
    long[] y = new long[64];
    // One warm-up epoch, then the measured one.
    epoch(batches, x, y);
    batches.startEpoch(1);
    long t1 = System.nanoTime();
    long samples = epoch(batches, x, y);
    long assembled = System.nanoTime() - t1;
    assertEquals(60_000, samples);

    Batches augmented = new Batches(train, 64, true, false, 1,
        Normalization.of(0.2860f, 0.3530f), new Augmentation(2, true));
    epoch(augmented, x, y);
    long t2 = System.nanoTime();
    epoch(augmented, x, y);
    long augmentedNs = System.nanoTime() - t2;

    System.out.printf("Fashion-MNIST: loaded train (gz) + test in %.0f ms; one epoch of %d "
            + "batches of 64 (shuffled, normalised) in %.0f ms; with crop=2,flip in %.0f ms%n",
        loaded / 1e6, batches.count(), assembled / 1e6, augmentedNs / 1e6);
  }

  @Test
  void trainImagesAloneLoadFast() throws Exception {
    Path dir = folder();
    long t0 = System.nanoTime();
    DataSplits s = DataLoader.load(dir.resolve("train-images-idx3-ubyte.gz"),
        DataOptions.defaults());
    long ns = System.nanoTime() - t0;
    assertEquals(60_000, s.train().size());
    System.out.printf("Fashion-MNIST: train-images-idx3-ubyte.gz + labels loaded in %.0f ms%n",
        ns / 1e6);
    DataSplits limited = DataLoader.load(dir, DataOptions.defaults().withLimit(1000));
    assertEquals(1000, limited.train().size());
    assertEquals(1000, limited.test().size());
    assertEquals(9, limited.train().label(0));
  }

  private static long epoch(Batches batches, float[] x, long[] y) {
    long n = 0;
    for (int b = 0; b < batches.count(); b++) {
      n += batches.fill(b, x, y);
    }
    return n;
  }
}
