package dev.zeroinit.onnxio;

import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Lets a model be parsed without copying its weights. Protobuf-java copies every {@code bytes} field
 * it parses (it aliases only byte arrays, never mapped files), so a 1 GB model would cost 1 GB of heap
 * before any work starts. This class walks the file's wire format instead and produces a copy of the
 * model in which the large {@code raw_data} of every main-graph initializer is replaced by an external
 * data reference into the model file itself (location = the file's name, offset, length) plus the
 * marker entry {@link #MARKER_KEY}. The copy is small and parses quickly; the reader checks the
 * references like any external data, and the writer puts marked tensors back inline (or wherever the
 * layout says) and drops the marker, so nothing of this shows in the output.
 *
 * <p>Anything unusual in the wire format (groups, a repeated raw_data, a tensor that is already
 * external) is left as it is; a file that is not well-formed makes {@link #strip} return null and the
 * reader falls back to an ordinary parse, which reports the problem.
 */
final class InlineDataIndex {
  /** external_data key marking a tensor whose bytes are inline in the source model file. */
  static final String MARKER_KEY = "dev.zeroinit.inline";
  private static final int WT_VARINT = 0;
  private static final int WT_FIXED64 = 1;
  private static final int WT_LEN = 2;
  private static final int WT_FIXED32 = 5;

  private final ByteBuffer file;
  private final byte[] location;
  private final long threshold;
  private int stripped;

  private InlineDataIndex(ByteBuffer file, String location, long threshold) {
    this.file = file;
    this.location = location.getBytes(StandardCharsets.UTF_8);
    this.threshold = threshold;
  }

  /** True when {@code t} is marked as inline in its source file. */
  static boolean isMarked(TensorProto t) {
    for (StringStringEntryProto e : t.getExternalDataList()) {
      if (e.getKey().equals(MARKER_KEY)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The model bytes with large initializer raw_data replaced by references into the file named
   * {@code location}; null when nothing was replaced or the wire format is not simple enough.
   */
  static byte[] strip(ByteBuffer file, String location, long threshold) {
    InlineDataIndex index = new InlineDataIndex(file.duplicate(), location, threshold);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
      index.message(0, file.limit(), out, Level.MODEL);
      return index.stripped == 0 ? null : out.toByteArray();
    } catch (Malformed e) {
      return null;
    }
  }

  private enum Level { MODEL, GRAPH, TENSOR }

  private static final class Malformed extends Exception {
    Malformed() {
      super(null, null, false, false);
    }
  }

  /**
   * One field of a message: where it starts, its number and wire type, where its value starts
   * (after the length prefix for length-delimited fields) and where the field ends.
   */
  private record Field(int start, long tag, int bodyStart, int end) {
    int number() {
      return (int) (tag >>> 3);
    }

    int wireType() {
      return (int) (tag & 7);
    }
  }

  /** The field starting at {@code pos}, which must end by {@code end}. */
  private Field field(int pos, int end) throws Malformed {
    long tag = varint(pos, end);
    int after = next;
    if ((tag >>> 3) == 0) {
      throw new Malformed();
    }
    if ((tag & 7) == WT_LEN) {
      long len = varint(after, end);
      int bodyStart = next;
      if (len < 0 || len > end - bodyStart) {
        throw new Malformed();
      }
      return new Field(pos, tag, bodyStart, bodyStart + (int) len);
    }
    return new Field(pos, tag, after, skip((int) (tag & 7), after, end));
  }

  /** Copies the fields of the message in [start, end), descending where it matters. */
  private void message(int start, int end, ByteArrayOutputStream out, Level level) throws Malformed {
    for (int pos = start; pos < end; ) {
      Field f = field(pos, end);
      if (level == Level.MODEL && f.number() == 7 && f.wireType() == WT_LEN) {
        nested(f.tag(), f.bodyStart(), f.end(), out, Level.GRAPH);
      } else if (level == Level.GRAPH && f.number() == 5 && f.wireType() == WT_LEN) {
        tensor(f, out);
      } else {
        copy(f.start(), f.end(), out);
      }
      pos = f.end();
    }
  }

  private void nested(long tag, int start, int end, ByteArrayOutputStream out, Level level)
      throws Malformed {
    ByteArrayOutputStream body = new ByteArrayOutputStream(Math.min(end - start, 1 << 20));
    message(start, end, body, level);
    writeVarint(out, tag);
    writeVarint(out, body.size());
    appendTo(body, out);
  }

  /** An initializer: copied as it is, or with its large raw_data replaced by a reference. */
  private void tensor(Field tensor, ByteArrayOutputStream out) throws Malformed {
    Field raw = null;
    boolean external = false;
    for (int pos = tensor.bodyStart(); pos < tensor.end(); ) {
      Field f = field(pos, tensor.end());
      if (f.number() == 9 && f.wireType() == WT_LEN) {
        external |= raw != null; // two raw_data fields: leave the tensor alone
        raw = f;
      } else if (f.number() == 13 || f.number() == 14) {
        external = true; // external_data, data_location: already external
      }
      pos = f.end();
    }
    int rawLen = raw == null ? 0 : raw.end() - raw.bodyStart();
    if (raw == null || external || rawLen < threshold) {
      copy(tensor.start(), tensor.end(), out);
      return;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(tensor.end() - tensor.bodyStart() - rawLen + 128);
    for (int pos = tensor.bodyStart(); pos < tensor.end(); ) { // every field but raw_data, in order
      Field f = field(pos, tensor.end());
      if (f.start() != raw.start()) {
        copy(f.start(), f.end(), body);
      }
      pos = f.end();
    }
    entry(body, "location", location);
    entry(body, "offset", Long.toString(raw.bodyStart()).getBytes(StandardCharsets.US_ASCII));
    entry(body, "length", Integer.toString(rawLen).getBytes(StandardCharsets.US_ASCII));
    entry(body, MARKER_KEY, new byte[] {'1'});
    writeVarint(body, (14 << 3) | WT_VARINT);
    writeVarint(body, TensorProto.DataLocation.EXTERNAL_VALUE);
    writeVarint(out, tensor.tag());
    writeVarint(out, body.size());
    appendTo(body, out);
    stripped++;
  }

  private static void appendTo(ByteArrayOutputStream body, ByteArrayOutputStream out) {
    try {
      body.writeTo(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
  }

  private static void entry(ByteArrayOutputStream out, String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int size = 1 + varintSize(k.length) + k.length + 1 + varintSize(value.length) + value.length;
    writeVarint(out, (13 << 3) | WT_LEN);
    writeVarint(out, size);
    writeVarint(out, (1 << 3) | WT_LEN);
    writeVarint(out, k.length);
    out.writeBytes(k);
    writeVarint(out, (2 << 3) | WT_LEN);
    writeVarint(out, value.length);
    out.writeBytes(value);
  }

  // ---------------------------------------------------------------- wire primitives

  private int next;

  private long varint(int pos, int end) throws Malformed {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw new Malformed();
      }
      byte b = file.get(pos++);
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        next = pos;
        return result;
      }
    }
    throw new Malformed();
  }

  private int skip(int wireType, int pos, int end) throws Malformed {
    int after = switch (wireType) {
      case WT_VARINT -> {
        varint(pos, end);
        yield next;
      }
      case WT_FIXED64 -> pos + 8;
      case WT_FIXED32 -> pos + 4;
      default -> throw new Malformed(); // groups and unknown wire types: let protobuf decide
    };
    if (after > end) {
      throw new Malformed();
    }
    return after;
  }

  private void copy(int from, int to, ByteArrayOutputStream out) {
    byte[] chunk = new byte[Math.min(to - from, 64 * 1024)];
    int pos = from;
    while (pos < to) {
      int n = Math.min(chunk.length, to - pos);
      file.get(pos, chunk, 0, n);
      out.write(chunk, 0, n);
      pos += n;
    }
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static int varintSize(int value) {
    int n = 1;
    while ((value & ~0x7F) != 0) {
      n++;
      value >>>= 7;
    }
    return n;
  }
}
