package dev.zeroinit.onnxio;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * What {@link ModelWriter} computes late, one piece at a time, instead of holding it all in memory
 * from the start:
 *
 * <ul>
 *   <li>tensor bytes that are produced only when the writer places the tensor and dropped right
 *       after, so rewriting a model whose weights live in external data costs memory for one tensor
 *       at a time, not for all of them (a 7B model's dense up-projections would otherwise all sit in
 *       the heap until the last one is written);</li>
 *   <li>metadata_props values known only after the data files are written (for example a hash of the
 *       input computed while the writer works), resolved just before the model file is written.</li>
 * </ul>
 *
 * <p>A deferred tensor is marked EXTERNAL with its location and the key {@link #MARKER_KEY}; the
 * writer always replaces the marker, so it never shows in an output. Not thread-safe: one instance
 * per write.
 */
public final class DeferredContent {
  /** external_data key of a tensor whose bytes are in this registry. */
  static final String MARKER_KEY = "dev.zeroinit.deferred";
  /** Writes of heap bytes go out in slices of at most this many bytes (see {@link #writeFully}). */
  static final int WRITE_CHUNK = 1 << 20;
  /** Runs of zeros at least this long become holes in the file (see {@link #writeFully}). */
  private static final int HOLE_MIN = 4 << 10;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(WRITE_CHUNK).asReadOnlyBuffer();

  /** The bytes of one tensor, made on demand. */
  public interface TensorContent {
    /** Exactly how many bytes {@link #writeTo} writes. */
    long length();

    /** Writes the bytes to {@code out} at its position (a channel the writer owns). */
    void writeTo(WritableByteChannel out) throws IOException;

    /**
     * The bytes in memory, for a tensor the layout puts inside the model file. The default collects
     * {@link #writeTo}; implementations that have the bytes as a ByteString return it directly.
     */
    default ByteString bytes() throws IOException {
      if (length() > Integer.MAX_VALUE) {
        throw new IOException("a tensor of " + length() + " bytes cannot be stored inside a model file");
      }
      ByteString.Output collected = ByteString.newOutput((int) Math.min(length(), 1 << 16));
      writeTo(Channels.newChannel(collected));
      return collected.toByteString();
    }
  }

  private final Map<TensorSite, TensorContent> tensors = new LinkedHashMap<>();
  private final Map<String, Callable<String>> metadata = new LinkedHashMap<>();

  /**
   * Registers {@code content} for the tensor at {@code site} and returns the tensor marked as deferred
   * external data at the location it already has (an external tensor, or one the reader left in the
   * model file; the KEEP layout puts it back where it was).
   */
  public TensorProto defer(TensorSite site, TensorProto original, TensorContent content)
      throws InvalidModelException {
    return defer(site, original, ExternalDataRef.of(original).location(), content);
  }

  /** As {@link #defer(TensorSite, TensorProto, TensorContent)}, at an explicit location. */
  public TensorProto defer(TensorSite site, TensorProto original, String location, TensorContent content) {
    TensorProto.Builder b = original.toBuilder().clearRawData().clearExternalData()
        .addExternalData(entry("location", location))
        .addExternalData(entry(MARKER_KEY, "1"));
    for (StringStringEntryProto e : original.getExternalDataList()) {
      if (e.getKey().equals(InlineDataIndex.MARKER_KEY)) {
        b.addExternalData(e);
      }
    }
    tensors.put(site, content);
    return b.setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
  }

  /**
   * A metadata_props entry whose value {@code value} computes after the data files are written and
   * before the model file is (it may wait for work done meanwhile). It replaces an entry with the
   * same key; deferred entries come last, in the order they were added.
   */
  public void deferMetadata(String key, Callable<String> value) {
    metadata.put(key, value);
  }

  /** True when the tensor is marked as deferred. */
  static boolean isMarked(TensorProto t) {
    for (StringStringEntryProto e : t.getExternalDataList()) {
      if (e.getKey().equals(MARKER_KEY)) {
        return true;
      }
    }
    return false;
  }

  TensorContent content(TensorSite site) {
    return tensors.get(site);
  }

  Map<String, Callable<String>> metadata() {
    return metadata;
  }

  /**
   * Writes every byte of {@code bytes} to {@code out}, heap buffers in slices of at most 1 MB: a
   * channel write of a heap buffer goes through a temporary direct buffer as large as the write,
   * which the JDK keeps per thread, so one 256 MB write would cost 256 MB outside the heap for the
   * rest of the run.
   *
   * <p>Into a file, runs of at least 4 kB of zeros are not written but skipped over, leaving a hole
   * that the file system stores without blocks and reads back as zeros (every POSIX file system,
   * NTFS and APFS do); if the bytes end in such a run, the last byte is written so the file has its
   * full length. A ZerO identity of 8192 x 8192 float32 is 256 MB of which 32 kB are not zero: this
   * writes those, not 256 MB. Holes need a file the writer created (fresh temp files are).
   */
  public static void writeFully(ByteString bytes, WritableByteChannel out) throws IOException {
    FileChannel file = out instanceof FileChannel f ? f : null;
    boolean endsInHole = false;
    for (ByteBuffer b : bytes.asReadOnlyByteBufferList()) {
      if (!b.hasRemaining()) {
        continue;
      }
      endsInHole = file != null ? writeOrSkip(b, file) : writeChunked(b, out);
    }
    if (endsInHole && file.size() < file.position()) {
      file.write(ByteBuffer.allocate(1), file.position() - 1);
    }
  }

  /** See {@link #writeFully(ByteString, WritableByteChannel)} (no holes). */
  public static void writeFully(ByteBuffer b, WritableByteChannel out) throws IOException {
    writeChunked(b, out);
  }

  /** Writes {@code b} in 1 MB slices; false (no hole left). */
  private static boolean writeChunked(ByteBuffer b, WritableByteChannel out) throws IOException {
    if (b.isDirect()) {
      while (b.hasRemaining()) {
        out.write(b);
      }
      return false;
    }
    while (b.hasRemaining()) {
      ByteBuffer slice = b.slice();
      slice.limit(Math.min(slice.remaining(), WRITE_CHUNK));
      int n = slice.remaining();
      while (slice.hasRemaining()) {
        out.write(slice);
      }
      b.position(b.position() + n);
    }
    return false;
  }

  /** Writes {@code b} in 1 MB slices, skipping slices of zeros; true when the last one was skipped. */
  private static boolean writeOrSkip(ByteBuffer b, FileChannel file) throws IOException {
    boolean skipped = false;
    while (b.hasRemaining()) {
      ByteBuffer slice = b.slice();
      slice.limit(Math.min(slice.remaining(), WRITE_CHUNK));
      int n = slice.remaining();
      if (n >= HOLE_MIN && slice.mismatch(ZEROS.slice(0, n)) < 0) {
        file.position(file.position() + n);
        skipped = true;
      } else {
        while (slice.hasRemaining()) {
          file.write(slice);
        }
        skipped = false;
      }
      b.position(b.position() + n);
    }
    return skipped;
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }
}
