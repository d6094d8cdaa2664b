package dev.zeroinit.finetune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataOptions;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.verify.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language-model loss (int64 token inputs, AdamW) and MSE (regression targets) through the loop,
 * on small synthetic data written as .npy files; the written models reproduce the last test metrics.
 */
class OtherLossesTest {

  /** A NumPy v1.0 file of little-endian {@code descr} values. */
  static void npy(Path file, String descr, long[] shape, ByteBuffer data) throws Exception {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': ("
        + (shape.length == 1 ? dims : dims.substring(0, dims.length() - 2)) + "), }";
    int len = dict.length() + 1;
    int pad = (64 - (10 + len) % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.remaining())
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
        .putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII)).put(data);
    Files.write(file, b.array());
  }

  static ByteBuffer longs(long[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : v) {
      b.putLong(x);
    }
    return b.flip();
  }

  static ByteBuffer floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat(x);
    }
    return b.flip();
  }

  /**
   * A one-block ZerO transformer LM (vocabulary 50, 16 tokens) learns "the next token is this one
   * plus 1" from 512 sequences in 3 epochs of AdamW: the test loss falls below a tenth of the first
   * step's.
   */
  @Test
  void languageModelLearnsTheNextToken(@TempDir Path dir) throws Exception {
    int n = 512;
    int seq = 16;
    long[] x = new long[n * seq];
    long[] y = new long[n * seq];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < n; i++) {
      int start = r.nextInt(50);
      for (int t = 0; t < seq; t++) {
        x[i * seq + t] = (start + t) % 50;
        y[i * seq + t] = (start + t + 1) % 50;
      }
    }
    npy(dir.resolve("x_train.npy"), "<i8", new long[] {n, seq}, longs(x));
    npy(dir.resolve("y_train.npy"), "<i8", new long[] {n, seq}, longs(y));
    npy(dir.resolve("x_test.npy"), "<i8", new long[] {64, seq},
        longs(java.util.Arrays.copyOf(x, 64 * seq)));
    npy(dir.resolve("y_test.npy"), "<i8", new long[] {64, seq},
        longs(java.util.Arrays.copyOf(y, 64 * seq)));
    Onnx.ModelProto lm = Models.zero("transformer-lm", ModelOptions.DEFAULTS.withLayers(1)
        .withDModel(32).withHeads(2).withVocab(50).withSeq(seq));
    DataOptions d = DataOptions.defaults();
    DataSplits s = DataLoader.load(dir, d);
    FinetuneConfig c = FinetuneConfig.builder().epochs(3).batchSize(32).lr(0.01).warmupEpochs(1)
        .loss(LossKind.LANGUAGE_MODEL).optimizer(OptimizerConfig.adamw()).device(Device.CPU)
        .threads(1).build();
    FashionMnistFinetuneTest.Recorder rec = new FashionMnistFinetuneTest.Recorder();
    Trainer.Result res = Trainer.train(new Trainer.Run(null, lm, s, d, c), Map.of(), rec);
    double first = rec.losses.get(0);
    EpochMetrics last = res.last();
    assertTrue(last.testLoss() < first / 10, first + " -> " + last.testLoss());
    assertTrue(last.testAccuracy() > 0.9, "token accuracy " + last.testAccuracy());
    assertReproduced(dir, res, s, LossKind.LANGUAGE_MODEL);
  }

  /** A small ZerO MLP fits a linear map of its 784 inputs to 3 values with MSE. */
  @Test
  void mseFitsRegressionTargets(@TempDir Path dir) throws Exception {
    int n = 512;
    float[] x = new float[n * 784];
    float[] w = new float[784 * 3];
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() / 28);
    }
    float[] y = new float[n * 3];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 3; k++) {
        double sum = 0;
        for (int j = 0; j < 784; j++) {
          sum += x[i * 784 + j] * w[j * 3 + k];
        }
        y[i * 3 + k] = (float) sum;
      }
    }
    npy(dir.resolve("x_train.npy"), "<f4", new long[] {n, 784}, floats(x));
    npy(dir.resolve("y_train.npy"), "<f4", new long[] {n, 3}, floats(y));
    npy(dir.resolve("x_test.npy"), "<f4", new long[] {64, 784},
        floats(java.util.Arrays.copyOf(x, 64 * 784)));
    npy(dir.resolve("y_test.npy"), "<f4", new long[] {64, 3},
        floats(java.util.Arrays.copyOf(y, 64 * 3)));
    Onnx.ModelProto mlp = Models.zero("mlp", ModelOptions.DEFAULTS.withHidden(32).withClasses(3));
    DataOptions d = DataOptions.defaults();
    DataSplits s = DataLoader.load(dir, d);
    FinetuneConfig c = FinetuneConfig.builder().epochs(3).batchSize(32).lr(0.01).warmupEpochs(1)
        .loss(LossKind.MSE).device(Device.CPU).threads(1).build();
    FashionMnistFinetuneTest.Recorder rec = new FashionMnistFinetuneTest.Recorder();
    Trainer.Result res = Trainer.train(new Trainer.Run(null, mlp, s, d, c), Map.of(), rec);
    EpochMetrics last = res.last();
    assertTrue(Double.isNaN(last.trainAccuracy()) && Double.isNaN(last.testAccuracy()),
        "MSE has no accuracy");
    assertTrue(last.trainLoss() < rec.losses.get(0), rec.losses.get(0) + " -> " + last.trainLoss());
    assertReproduced(dir, res, s, LossKind.MSE);
  }

  private static void assertReproduced(Path dir, Trainer.Result res, DataSplits s, LossKind loss)
      throws Exception {
    Path out = dir.resolve("trained.onnx");
    ModelWriter.write(null, res.model(), out, WriteOptions.defaults());
    try (OnnxModel m = OnnxModel.read(out)) {
      Evaluator.Evaluation e = Evaluator.evaluate(out, m.proto(), s.test(), null, loss, null, 64,
          Device.CPU, 1, false);
      if (loss != LossKind.MSE) {
        assertEquals(res.last().testAccuracy(), e.result().accuracy(), 0.0);
      }
      assertEquals(res.last().testLoss(), e.result().loss(), 1e-6 * res.last().testLoss() + 1e-9);
    }
  }
}
