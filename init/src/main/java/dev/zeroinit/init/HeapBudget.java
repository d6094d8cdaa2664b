package dev.zeroinit.init;

import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.InsufficientMemoryException;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Estimates, before the rewrite allocates anything, the Java heap a rewrite and its write will hold
 * at once, and refuses with a clear message (not an OutOfMemoryError half way) when the JVM cannot
 * give it. What costs heap:
 * <ul>
 *   <li>every rewritten tensor whose new values are dense (a Hadamard block, a fill of ones, a random
 *       baseline) and end up inline: its full size, since mostly-zero tensors are built as ropes of
 *       shared zeros ({@code SparseByteString}) and cost next to nothing; dense tensors written to
 *       data files are made one at a time as the writer reaches them, so only the largest counts;</li>
 *   <li>every untouched tensor the writer has to put inline although its bytes are in a file (the
 *       large inline tensors the reader leaves in the model file, with the {@code keep} and
 *       {@code inline} layouts; external data too, with {@code inline}): its full size, copied;
 *       external data written to data files is streamed and costs nothing.</li>
 * </ul>
 * The graph itself and the plan are small next to these and are covered by a fixed margin.
 */
public final class HeapBudget {
  /** Heap the rest of the run (graph, plan, buffers) is given on top of the tensors. */
  static final long MARGIN = 32L << 20;
  /** Above this share of non-zeros, SparseByteString encodes a tensor densely. */
  private static final int DENSE_DIVISOR = 16;
  /** One inline ONNX file holds at most this; beyond it the writer switches to external data. */
  private static final long INLINE_LIMIT = Integer.MAX_VALUE - (64L << 20);

  private HeapBudget() { }

  /** The estimate, split by what needs it. */
  public record Estimate(long denseRewriteBytes, long copiedInlineBytes) {
    public long total() {
      return denseRewriteBytes + copiedInlineBytes + MARGIN;
    }
  }

  /** The heap that rewriting {@code model} by {@code plan} and writing it with {@code options} needs. */
  public static Estimate estimate(OnnxModel model, Plan plan, WriteOptions options) {
    // Dense new values written into a data file are made one tensor at a time as the writer reaches
    // them (DeferredContent), so only the largest counts; those that end up inline are all held.
    long denseInline = 0;
    long denseStreamedMax = 0;
    Set<TensorSite> rewritten = new HashSet<>();
    var external = model.externalRegions();
    for (PlanEntry e : plan.rewritten()) {
      rewritten.add(e.site());
      if (isDense(e, plan.options())) {
        boolean streamed = switch (options.layout()) {
          case INLINE -> false;
          case SINGLE -> true;
          case KEEP -> external.containsKey(e.site());
        };
        if (streamed) {
          denseStreamedMax = Math.max(denseStreamedMax, e.bytes());
        } else {
          denseInline += e.bytes();
        }
      }
    }
    long dense = denseInline + denseStreamedMax;
    long[] copied = new long[2]; // [0]: tensors inline in the model file, [1]: in external data files
    try {
      TensorWalker.visit(model.proto(), (site, t) -> {
        if (!ExternalDataRef.isExternal(t) || rewritten.contains(site)) {
          return;
        }
        ExternalDataStore.Region r = model.dataRegion(site);
        if (r != null) {
          copied[OnnxModel.isInlineInFile(t) ? 0 : 1] += r.length();
        }
      });
    } catch (Exception e) {
      return new Estimate(dense, 0); // the reader checked every reference; nothing to add
    }
    long copiedInline = switch (options.layout()) {
      case INLINE -> copied[0] + copied[1];
      case KEEP -> copied[0] + denseInline + copied[1] > INLINE_LIMIT ? 0 : copied[0]; // else written as SINGLE
      default -> 0;
    };
    return new Estimate(dense, copiedInline);
  }

  /**
   * Throws when the estimate exceeds the heap the JVM can still give ({@code Runtime.maxMemory()}
   * minus what is in use, after one garbage collection when the first look is short).
   */
  public static void check(Path input, OnnxModel model, Plan plan, WriteOptions options)
      throws InsufficientMemoryException {
    Estimate e = estimate(model, plan, options);
    Runtime rt = Runtime.getRuntime();
    if (e.total() <= rt.maxMemory() - (rt.totalMemory() - rt.freeMemory())) {
      return;
    }
    System.gc();
    check(input, e, rt.maxMemory(), rt.totalMemory() - rt.freeMemory(), options.layout());
  }

  /** The refusal for {@code e} with {@code maxHeap} and {@code used} bytes; package-private for tests. */
  static void check(Path input, Estimate e, long maxHeap, long used, ExternalDataLayout layout)
      throws InsufficientMemoryException {
    long free = maxHeap - used;
    if (e.total() <= free) {
      return;
    }
    long suggestGb = Math.max(1, (e.total() + used + (512L << 20) + (1L << 30) - 1) >> 30);
    StringBuilder what = new StringBuilder();
    if (e.denseRewriteBytes() > 0) {
      what.append("dense new weights (Hadamard blocks, fills) ").append(mb(e.denseRewriteBytes())).append(" MB");
    }
    if (e.copiedInlineBytes() > 0) {
      what.append(what.length() > 0 ? ", " : "").append("weights copied inline into the output ")
          .append(mb(e.copiedInlineBytes())).append(" MB");
    }
    String message = (input == null ? "" : input + ": ") + "the rewrite needs about " + mb(e.total())
        + " MB of heap (" + what + "), the JVM has " + mb(maxHeap) + " MB (" + mb(Math.max(0, free))
        + " MB free); set JAVA_OPTS=-Xmx" + suggestGb + "g"
        + (e.copiedInlineBytes() > 0 && layout != ExternalDataLayout.SINGLE
            ? " or write the weights as external data (--external-data single)" : "");
    throw new InsufficientMemoryException(message, e.total(), maxHeap);
  }

  private static long mb(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
  }

  /** Whether the new values of {@code e} are encoded densely (more than 1/16 non-zero). */
  static boolean isDense(PlanEntry e, PlanOptions options) {
    long count;
    try {
      count = WeightValues.size(e.shape());
    } catch (ArithmeticException ex) {
      return true;
    }
    if (count == 0) {
      return false;
    }
    long nonZeros;
    String rule = e.rule();
    if ("zero".equals(rule)) {
      nonZeros = 0;
    } else if ("one".equals(rule) || options.method().isRandom()) {
      nonZeros = count;
    } else if (MatrixRule.HADAMARD.label().equals(rule)) {
      nonZeros = saturatingProduct(e.p(), e.q(), Math.max(1, e.groups()));
    } else {
      nonZeros = saturatingProduct(Math.min(e.p(), e.q()), 1, Math.max(1, e.groups()));
    }
    return nonZeros > count / DENSE_DIVISOR;
  }

  private static long saturatingProduct(long a, long b, long c) {
    try {
      return Math.multiplyExact(Math.multiplyExact(a, b), c);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
