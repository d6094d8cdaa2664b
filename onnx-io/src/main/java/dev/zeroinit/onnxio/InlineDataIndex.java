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

  /** Copies the fields of the message in [start, end), descending where it matters. */
  private void message(int start, int end, ByteArrayOutputStream out, Level level) throws Malformed {
    int pos = start;
    while (pos < end) {
      int fieldStart = pos;
      long tag = varint(pos, end);
      pos = next;
      int field = (int) (tag >>> 3);
      int wireType = (int) (tag & 7);
      if (field == 0) {
        throw new Malformed();
      }
      if (wireType == WT_LEN) {
        long len = varint(pos, end);
        int bodyStart = next;
        if (len < 0 || len > end - bodyStart) {
          throw new Malformed();
        }
        int bodyEnd = bodyStart + (int) len;
        if (level == Level.MODEL && field == 7) {
          nested(tag, bodyStart, bodyEnd, out, Level.GRAPH);
        } else if (level == Level.GRAPH && field == 5) {
          tensor(tag, fieldStart, bodyStart, bodyEnd, out);
        } else {
          copy(fieldStart, bodyEnd, out);
        }
        pos = bodyEnd;
      } else {
        pos = skip(wireType, pos, end);
        copy(fieldStart, pos, out);
      }
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

  private void tensor(long tag, int fieldStart, int start, int end, ByteArrayOutputStream out)
      throws Malformed {
    int rawStart = -1;
    int rawLen = 0;
    boolean external = false;
    int pos = start;
    while (pos < end) {
      long t = varint(pos, end);
      pos = next;
      int field = (int) (t >>> 3);
      int wireType = (int) (t & 7);
      if (field == 0) {
        throw new Malformed();
      }
      if (wireType == WT_LEN) {
        long len = varint(pos, end);
        int bodyStart = next;
        if (len < 0 || len > end - bodyStart) {
          throw new Malformed();
        }
        if (field == 9) {
          if (rawStart >= 0) {
            external = true; // two raw_data fields: leave the tensor alone
          }
          rawStart = bodyStart;
          rawLen = (int) len;
        } else if (field == 13) {
          external = true;
        }
        pos = bodyStart + (int) len;
      } else {
        if (field == 14) {
          external = true;
        }
        pos = skip(wireType, pos, end);
      }
    }
    if (rawStart < 0 || external || rawLen < threshold) {
      copy(fieldStart, end, out);
      return;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(end - start - rawLen + 128);
    // every field but raw_data, in their original order
    pos = start;
    while (pos < end) {
      int fs = pos;
      long t = varint(pos, end);
      pos = next;
      int wireType = (int) (t & 7);
      if (wireType == WT_LEN) {
        long len = varint(pos, end);
        pos = next + (int) len;
        if ((t >>> 3) == 9) {
          continue;
        }
      } else {
        pos = skip(wireType, pos, end);
      }
      copy(fs, pos, body);
    }
    entry(body, "location", location);
    entry(body, "offset", Long.toString(rawStart).getBytes(StandardCharsets.US_ASCII));
    entry(body, "length", Integer.toString(rawLen).getBytes(StandardCharsets.US_ASCII));
    entry(body, MARKER_KEY, new byte[] {'1'});
    writeVarint(body, (14 << 3) | WT_VARINT);
    writeVarint(body, TensorProto.DataLocation.EXTERNAL_VALUE);
    writeVarint(out, tag);
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
