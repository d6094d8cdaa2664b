package dev.zeroinit.finetune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Shuffling, batch assembly, normalisation and augmentation. */
class BatchesTest {
  /** {@code n} byte images of shape [c,h,w], pixel values distinct per sample where possible. */
  static Dataset images(int n, int c, int h, int w) {
    int size = c * h * w;
    byte[] px = new byte[n * size];
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 10;
    }
    return Dataset.of("test images", Path.of("mem"), DataFormat.IDX,
        new Dataset.Features(new int[] {c, h, w}, n, px, null),
        Dataset.Targets.classes(labels, 10, null));
  }

  static float[] sample(Dataset d, int i) {
    float[] s = new float[d.sampleSize()];
    d.sample(i, s, 0);
    return s;
  }

  @Test
  void shuffleIsADeterministicPermutation() {
    int[] a = Shuffle.permutation(1000, 7);
    int[] b = Shuffle.permutation(1000, 7);
    int[] c = Shuffle.permutation(1000, 8);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
    int[] sorted = a.clone();
    Arrays.sort(sorted);
    assertArrayEquals(Shuffle.identity(1000), sorted);
    assertFalse(Arrays.equals(a, Shuffle.identity(1000)));
    assertNotEquals(Shuffle.derive(1, 2, 3), Shuffle.derive(1, 3, 2));
  }

  @Test
  void epochsAreSeededAndDiffer() {
    Dataset d = images(100, 1, 2, 2);
    Batches a = new Batches(d, 16, true, false, 123, null, null);
    Batches b = new Batches(d, 16, true, false, 123, null, null);
    a.startEpoch(3);
    b.startEpoch(3);
    assertArrayEquals(a.order(), b.order());
    int[] third = a.order();
    a.startEpoch(4);
    assertFalse(Arrays.equals(third, a.order()));
    a.startEpoch(3);
    assertArrayEquals(third, a.order(), "an epoch's order does not depend on the epochs before");
    Batches other = new Batches(d, 16, true, false, 124, null, null);
    other.startEpoch(3);
    assertFalse(Arrays.equals(third, other.order()));
    Batches inOrder = new Batches(d, 16, false, false, 123, null, null);
    inOrder.startEpoch(5);
    assertArrayEquals(Shuffle.identity(100), inOrder.order());
  }

  @Test
  void batchesHoldTheRightSamplesAndLabels() {
    Dataset d = images(50, 3, 4, 5);
    Batches batches = new Batches(d, 16, true, false, 9, null, null);
    batches.startEpoch(1);
    assertEquals(4, batches.count());
    assertEquals(2, batches.size(3));
    int[] order = batches.order();
    int s = d.sampleSize();
    float[] x = new float[16 * s];
    long[] y = new long[16];
    int seen = 0;
    for (int b = 0; b < batches.count(); b++) {
      int n = batches.fill(b, x, y);
      for (int k = 0; k < n; k++) {
        int i = order[b * 16 + k];
        assertArrayEquals(sample(d, i), Arrays.copyOfRange(x, k * s, (k + 1) * s));
        assertEquals(d.label(i), y[k]);
        seen++;
      }
    }
    assertEquals(50, seen);
    Batches dropping = new Batches(d, 16, true, true, 9, null, null);
    assertEquals(3, dropping.count());
  }

  @Test
  void directBuffersGetTheSameBatchesAsArrays() {
    Dataset d = images(40, 3, 8, 8);
    Augmentation aug = new Augmentation(2, true);
    Normalization norm = Normalization.parse("0.5,0.4,0.3,0.2,0.25,0.3");
    Batches a = new Batches(d, 16, true, false, 5, norm, aug);
    Batches b = new Batches(d, 16, true, false, 5, norm, aug);
    int s = d.sampleSize();
    float[] x = new float[16 * s];
    long[] y = new long[16];
    FloatBuffer fx = ByteBuffer.allocateDirect(16 * s * 4).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    LongBuffer ly = ByteBuffer.allocateDirect(16 * 8).order(ByteOrder.nativeOrder())
        .asLongBuffer();
    for (int bi = 0; bi < a.count(); bi++) {
      int n = a.fill(bi, x, y);
      assertEquals(n, b.fill(bi, fx, ly));
      assertEquals(0, fx.position());
      float[] got = new float[n * s];
      fx.get(0, got);
      assertArrayEquals(Arrays.copyOf(x, n * s), got);
      for (int k = 0; k < n; k++) {
        assertEquals(y[k], ly.get(k));
      }
    }
  }

  @Test
  void normalizationPerChannel() {
    Dataset d = images(3, 3, 2, 2);
    Normalization norm = Normalization.parse("0.1,0.2,0.3,0.5,0.25,2");
    BatchAssembler asm = new BatchAssembler(d, norm, null);
    float[] x = new float[3 * 12];
    asm.inputs(new int[] {2, 0, 1}, 0, 3, x, 0, null);
    float[] mean = {0.1f, 0.2f, 0.3f};
    float[] std = {0.5f, 0.25f, 2f};
    float[] raw = sample(d, 2);
    for (int j = 0; j < 12; j++) {
      int c = j / 4;
      assertEquals((raw[j] - mean[c]) / std[c], x[j], 0f);
    }
    // A single value applies to every channel; a wrong channel count is refused.
    BatchAssembler single = new BatchAssembler(d, Normalization.of(0.5f, 0.5f), null);
    single.inputs(new int[] {0}, 0, 1, x, 0, null);
    assertEquals((sample(d, 0)[11] - 0.5f) / 0.5f, x[11], 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BatchAssembler(d, Normalization.parse("0,0,1,1"), null));
    assertTrue(e.getMessage().contains("2 channels but the data has 3"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Normalization.parse("0.5"));
    assertThrows(IllegalArgumentException.class, () -> Normalization.parse("0.5,0"));
    assertThrows(IllegalArgumentException.class, () -> Normalization.parse("a,1"));
  }

  @Test
  void floatFeaturesNormalisePerFeature() {
    Dataset d = Dataset.of("v", Path.of("mem"), DataFormat.CSV,
        new Dataset.Features(new int[] {2}, 2, null, new float[] {1, 10, 3, 30}),
        Dataset.Targets.values(new float[] {0.5f, -0.5f}, 1));
    Batches b = new Batches(d, 2, false, false, 0, Normalization.parse("2,20,1,10"), null);
    float[] x = new float[4];
    float[] y = new float[2];
    assertEquals(2, b.fillValues(0, x, y));
    assertArrayEquals(new float[] {-1, -1, 1, 1}, x);
    assertArrayEquals(new float[] {0.5f, -0.5f}, y);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Batches(d, 2, true, false, 0, null, new Augmentation(4, true)));
    assertTrue(e.getMessage().contains("needs image samples"), e.getMessage());
  }

  @Test
  void flipGivesTheImageOrItsMirror() {
    Dataset d = images(64, 2, 3, 5);
    Batches b = new Batches(d, 64, false, false, 77, null, new Augmentation(0, true));
    float[] x = new float[64 * 30];
    b.fill(0, x, new long[64]);
    int flipped = 0;
    for (int i = 0; i < 64; i++) {
      float[] in = sample(d, i);
      float[] out = Arrays.copyOfRange(x, i * 30, (i + 1) * 30);
      float[] mirror = new float[30];
      for (int c = 0; c < 2; c++) {
        for (int y = 0; y < 3; y++) {
          for (int xx = 0; xx < 5; xx++) {
            mirror[c * 15 + y * 5 + xx] = in[c * 15 + y * 5 + (4 - xx)];
          }
        }
      }
      if (Arrays.equals(out, mirror)) {
        flipped++;
      } else {
        assertArrayEquals(in, out, "sample " + i + " is neither itself nor its mirror");
      }
    }
    assertTrue(flipped > 16 && flipped < 48, flipped + " of 64 flipped");
  }

  @Test
  void cropIsAShiftWithNormalisedBlackPadding() {
    Dataset d = images(40, 3, 6, 6);
    int pad = 2;
    Normalization norm = Normalization.parse("0.2,0.4,0.6,0.5,0.5,0.5");
    Batches b = new Batches(d, 40, false, false, 3, norm, new Augmentation(pad, false));
    int s = d.sampleSize();
    float[] x = new float[40 * s];
    b.fill(0, x, new long[40]);
    float[] mean = {0.2f, 0.4f, 0.6f};
    int shifted = 0;
    for (int i = 0; i < 40; i++) {
      float[] in = sample(d, i);
      float[] out = Arrays.copyOfRange(x, i * s, (i + 1) * s);
      boolean match = false;
      for (int dy = -pad; dy <= pad && !match; dy++) {
        for (int dx = -pad; dx <= pad && !match; dx++) {
          float[] want = new float[s];
          for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 6; y++) {
              for (int xx = 0; xx < 6; xx++) {
                int sy = y + dy;
                int sx = xx + dx;
                float raw = sy < 0 || sy >= 6 || sx < 0 || sx >= 6 ? 0f : in[c * 36 + sy * 6 + sx];
                want[c * 36 + y * 6 + xx] = (raw - mean[c]) / 0.5f;
              }
            }
          }
          if (Arrays.equals(want, out)) {
            match = true;
            shifted += dy != 0 || dx != 0 ? 1 : 0;
          }
        }
      }
      assertTrue(match, "sample " + i + " is not a padded crop of its image");
    }
    assertTrue(shifted > 20, shifted + " of 40 shifted");
  }

  @Test
  void augmentationIsSeededPerEpochAndBatchAndKeepsTheShape() {
    Dataset d = images(100, 3, 32, 32);
    Augmentation aug = Augmentation.parse("crop=4,flip");
    assertEquals(new Augmentation(4, true), aug);
    int s = d.sampleSize();
    float[] x1 = new float[32 * s];
    float[] x2 = new float[32 * s];
    Batches a = new Batches(d, 32, true, false, 11, null, aug);
    Batches b = new Batches(d, 32, true, false, 11, null, aug);
    a.startEpoch(2);
    b.startEpoch(2);
    // Filled in a different order, batch 1 is still the same.
    a.fill(0, x1, new long[32]);
    a.fill(1, x1, new long[32]);
    b.fill(1, x2, new long[32]);
    assertArrayEquals(x1, x2);
    assertEquals(32 * 3 * 32 * 32, x1.length);
    assertEquals(4, a.size(3), "the last partial batch");
    Batches c = new Batches(d, 32, true, false, 12, null, aug);
    c.startEpoch(2);
    c.fill(1, x2, new long[32]);
    assertFalse(Arrays.equals(x1, x2));
    // Evaluation batches are never augmented.
    Batches eval = Batches.of(d, 32, false, DataOptions.defaults().withAugmentation(aug));
    eval.fill(0, x1, new long[32]);
    assertArrayEquals(sample(d, 0), Arrays.copyOf(x1, s));
  }

  @Test
  void augmentationOptionsParse() {
    assertEquals(Augmentation.NONE, Augmentation.parse("none"));
    assertEquals(new Augmentation(4, false), Augmentation.parse("crop"));
    assertEquals(new Augmentation(0, true), Augmentation.parse("flip"));
    assertEquals("crop=4,flip", new Augmentation(4, true).toString());
    assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("rotate"));
    assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("crop=-1"));
  }

  @Test
  void indexRangesAreChecked() {
    Dataset d = images(4, 1, 2, 2);
    BatchAssembler asm = new BatchAssembler(d, null, null);
    float[] x = new float[8];
    assertThrows(IndexOutOfBoundsException.class,
        () -> asm.inputs(new int[] {0, 1, 2}, 0, 3, x, 0, null));
    assertThrows(IndexOutOfBoundsException.class,
        () -> asm.inputs(new int[] {0, 9}, 0, 2, x, 0, null));
    assertThrows(IllegalArgumentException.class,
        () -> new BatchAssembler(d, null, new Augmentation(1, false))
            .inputs(new int[] {0}, 0, 1, x, 0, null));
  }
}
