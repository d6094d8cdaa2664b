package dev.zeroinit.models;

import dev.zeroinit.onnxio.DeferredContent;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.proto.Onnx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A chain of MatMul layers, {@code x [1, w0] -> MatMul [w0, w1] -> ... -> y [1, wL]}, float32, whose
 * weights are written to one external data file ({@code OUT.data}, the SINGLE layout of
 * {@link ModelWriter}) in 4 MB chunks, never held in memory: a model of any size (the benchmark's
 * 8 GB = 32 layers of 8192 x 8192) costs a few MB to build. Weight element {@code i} of layer
 * {@code l} is {@link #value(int, long)}: never zero, so a value the rewrite missed is seen.
 *
 * <p>Command line: {@code java -cp zero-init.jar dev.zeroinit.models.LargeMatMulModel OUT.onnx
 * LAYERS WIDTH} (square layers) or {@code ... OUT.onnx w0,w1,...,wL}; {@code --force} replaces.
 */
public final class LargeMatMulModel {
  private static final int CHUNK = 4 << 20;

  private LargeMatMulModel() { }

  /** The name of layer {@code l}'s weight (0-based). */
  public static String weightName(int layer) {
    return "layer" + layer + ".weight";
  }

  /** The stored value of element {@code index} (row-major) of layer {@code layer}'s weight. */
  public static float value(int layer, long index) {
    long h = (index + 1) * 0x9E3779B97F4A7C15L + layer * 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    int k = (int) ((h & 1023) + 1); // 1..1024
    return ((h & 1024) == 0 ? k : -k) / 1024f;
  }

  /** Writes the model to {@code target} (and {@code target.data}); widths has layers + 1 entries. */
  public static WriteResult write(Path target, long[] widths, boolean overwrite) throws Exception {
    if (widths.length < 2 || Arrays.stream(widths).anyMatch(w -> w < 1)) {
      throw new IllegalArgumentException("need at least two positive widths: " + Arrays.toString(widths));
    }
    ModelBuilder m = new ModelBuilder("matmul-stack").docString("LargeMatMulModel " + Arrays.toString(widths));
    var g = m.graph();
    int f = Onnx.TensorProto.DataType.FLOAT_VALUE;
    String x = g.input("x", f, 1, widths[0]);
    for (int l = 0; l + 1 < widths.length; l++) {
      Onnx.TensorProto w = Onnx.TensorProto.newBuilder().setName(weightName(l)).setDataType(f)
          .addDims(widths[l]).addDims(widths[l + 1]).build();
      g.initializer(w);
      String y = l + 2 == widths.length ? "y" : "h" + l;
      g.node("MatMul", new String[] {x, w.getName()}, new String[] {y});
      x = y;
    }
    g.output("y", f, 1, widths[widths.length - 1]);
    Onnx.ModelProto plain = m.build();
    DeferredContent deferred = new DeferredContent();
    String location = target.getFileName() + ".data";
    Onnx.ModelProto model = TensorWalker.transform(plain, (site, t) -> {
      int layer = Integer.parseInt(t.getName().substring(5, t.getName().indexOf('.')));
      long count = t.getDims(0) * t.getDims(1);
      return deferred.defer(site, t, location, new Pattern(layer, count));
    });
    return ModelWriter.write(null, model, target,
        WriteOptions.defaults().withLayout(ExternalDataLayout.SINGLE).withOverwrite(overwrite)
            .withDurable(false), deferred);
  }

  /** The generated values of one layer, written chunk by chunk. */
  private record Pattern(int layer, long count) implements DeferredContent.TensorContent {
    @Override
    public long length() {
      return count * 4;
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
      ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      long i = 0;
      while (i < count) {
        buf.clear();
        while (buf.remaining() >= 4 && i < count) {
          buf.putFloat(value(layer, i++));
        }
        buf.flip();
        while (buf.hasRemaining()) {
          out.write(buf);
        }
      }
    }
  }

  /** {@code OUT.onnx LAYERS WIDTH} or {@code OUT.onnx w0,w1,...}, optionally {@code --force}. */
  public static void main(String[] args) throws Exception {
    boolean force = Arrays.asList(args).contains("--force");
    String[] a = Arrays.stream(args).filter(s -> !s.equals("--force")).toArray(String[]::new);
    long[] widths;
    if (a.length == 3) {
      int layers = Integer.parseInt(a[1]);
      widths = new long[layers + 1];
      Arrays.fill(widths, Long.parseLong(a[2]));
    } else if (a.length == 2) {
      widths = Arrays.stream(a[1].split(",")).mapToLong(Long::parseLong).toArray();
    } else {
      System.err.println("usage: LargeMatMulModel OUT.onnx LAYERS WIDTH | OUT.onnx w0,w1,...,wL [--force]");
      System.exit(2);
      return;
    }
    long t0 = System.nanoTime();
    WriteResult r = write(Path.of(a[0]), widths, force);
    System.out.printf("built %s: %d MatMul layers, %.2f GB in %.1f s%n", r.model(), widths.length - 1,
        r.bytesWritten() / 1e9, (System.nanoTime() - t0) / 1e9);
  }
}
