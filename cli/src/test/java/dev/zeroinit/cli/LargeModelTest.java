package dev.zeroinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.zeroinit.init.batch.BatchRunner;
import dev.zeroinit.init.batch.InputHash;
import dev.zeroinit.models.LargeMatMulModel;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1.5 GB external-data model (12 MatMul layers: 2048 -> 8192 Hadamard, 8192 -> 8192 identity,
 * 8192 -> 2048 partial identity, four times; 256 MB of dense Hadamard values in all) is rewritten by
 * the CLI in a child JVM with a 256 MB heap, by the main job and by batch, and sampled rows of every
 * weight in the output data file hold exactly the ZerO values. The model is built by streaming its
 * data file, never held; everything is deleted afterwards.
 */
class LargeModelTest {
  private static final long[] WIDTHS = {2048, 8192, 8192, 2048, 8192, 8192, 2048, 8192, 8192, 2048, 8192,
      8192, 2048};
  private static final String HEAP = "-Xmx256m";

  @TempDir Path tmp;

  @AfterEach
  void deleteNow() throws IOException {
    try (Stream<Path> s = Files.walk(tmp)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String run(Path log, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
        "-cp", System.getProperty("java.class.path"), ZeroInitCommand.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the child JVM did not finish in 180 s: " + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(0, p.exitValue(), String.join(" ", args) + "\n" + output);
    return output;
  }

  @Test
  void aModelSixTimesTheHeapIsRewrittenExactlyUnder256Mb() throws Exception {
    long need = 5L << 30; // input 1.5 GB, one output 1.5 GB at a time, slack
    assumeTrue(Files.getFileStore(tmp).getUsableSpace() > need,
        "needs " + (need >> 30) + " GB free in " + tmp);
    Path in = Files.createDirectory(tmp.resolve("in"));
    Path model = in.resolve("big.onnx");
    LargeMatMulModel.write(model, WIDTHS, false);
    long inputBytes = Files.size(model) + Files.size(in.resolve("big.onnx.data"));
    assertTrue(inputBytes > 1_500_000_000L, "1.5 GB: " + inputBytes);

    Path main = Files.createDirectory(tmp.resolve("main")).resolve("big.onnx");
    String mainLog = run(tmp.resolve("main.log"), model.toString(), "-o", main.toString(), "--no-sync");
    assertTrue(mainLog.contains("12 tensors rewritten"), mainLog);
    checkValues(main);
    Files.delete(main);
    Files.delete(main.resolveSibling("big.onnx.data")); // the KEEP layout keeps the data file's name

    Path out = tmp.resolve("out");
    String batchLog = run(tmp.resolve("batch.log"), "batch", in.toString(), "-o", out.toString(),
        "--no-sync", "--max-memory", "200m");
    assertTrue(batchLog.contains("1 model: 1 ok"), batchLog);
    checkValues(out.resolve("big.onnx"));
    String recorded = null;
    try (OnnxModel m = OnnxModel.read(out.resolve("big.onnx"))) {
      for (StringStringEntryProto e : m.proto().getMetadataPropsList()) {
        if (e.getKey().equals(BatchRunner.META_INPUT_SHA256)) {
          recorded = e.getValue();
        }
      }
    }
    try (OnnxModel m = OnnxModel.read(model)) {
      assertEquals(InputHash.sha256(InputHash.files(m)), recorded, "hash streamed in the child");
    }
    // the input is untouched
    assertEquals(inputBytes, Files.size(model) + Files.size(in.resolve("big.onnx.data")));
    try (OnnxModel m = OnnxModel.read(model)) {
      float[] row = row(m.dataRegion(TensorSite.initializer("graph", LargeMatMulModel.weightName(5))), 8192, 7);
      assertEquals(LargeMatMulModel.value(5, 7L * 8192 + 3), row[3]);
    }
  }

  /** Rows of every layer's stored B [K, N] (W = B^T, P = N, Q = K) against the rule. */
  private static void checkValues(Path output) throws Exception {
    try (OnnxModel m = OnnxModel.read(output)) {
      for (int l = 0; l + 1 < WIDTHS.length; l++) {
        int k = (int) WIDTHS[l];
        int n = (int) WIDTHS[l + 1];
        ExternalDataStore.Region region = m.dataRegion(TensorSite.initializer("graph",
            LargeMatMulModel.weightName(l)));
        assertEquals(4L * k * n, region.length());
        int m2 = 32 - Integer.numberOfLeadingZeros(n - 1); // ceil(log2 P)
        float c = (float) Math.pow(2, -(m2 - 1) / 2.0); // paper scale
        for (int r : new int[] {0, 1, 2, 3, k / 2 + 1, k - 2, k - 1, (l * 7919) % k, (l * 104729 + 13) % k}) {
          float[] row = row(region, n, r);
          for (int j = 0; j < n; j++) {
            float want = n > k ? (Integer.bitCount(j & r) % 2 == 0 ? c : -c) : (j == r ? 1f : 0f);
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(row[j])) {
              throw new AssertionError("layer " + l + " [" + k + "x" + n + "] B[" + r + "][" + j + "] = "
                  + row[j] + ", want " + want);
            }
          }
        }
      }
    }
  }

  private static float[] row(ExternalDataStore.Region region, int cols, long r) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(cols * 4).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(region.file(), StandardOpenOption.READ)) {
      long pos = region.offset() + r * cols * 4;
      while (b.hasRemaining()) {
        if (ch.read(b, pos + b.position()) < 0) {
          throw new IOException("short read");
        }
      }
    }
    b.flip();
    float[] out = new float[cols];
    b.asFloatBuffer().get(out);
    return out;
  }
}
