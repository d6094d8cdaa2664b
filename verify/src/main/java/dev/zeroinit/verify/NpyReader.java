package dev.zeroinit.verify;

import dev.zeroinit.onnxio.tensor.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one array from a NumPy {@code .npy} file (format versions 1.0, 2.0 and 3.0): the magic
 * {@code \x93NUMPY}, the version, the header length, and a header that is a Python dict literal with
 * {@code descr}, {@code fortran_order} and {@code shape}; then the data.
 *
 * <p>Element types ({@code descr}): {@code f2 f4 f8} (float16/32/64), {@code i1 i2 i4 i8},
 * {@code u1 u2 u4 u8}, {@code b1} (bool), each little-endian ({@code <}, {@code |}, {@code =}) or
 * big-endian ({@code >}, swapped on reading), and {@code <U}n (fixed-width unicode strings). Fortran
 * order is rearranged to C order. Object arrays, structured types, complex and datetime values are
 * refused. The data length must match the shape exactly; nothing is allocated from the header alone.
 */
public final class NpyReader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private NpyReader() { }

  /** Reads {@code file}. */
  public static HostTensor read(Path file) throws IOException, VerifyInputException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > HostTensor.MAX_BYTES + 65536) {
        throw new VerifyInputException(file + ": " + size + " bytes is more than one tensor may take");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // read all
      }
      buf.flip();
      return parse(file.toString(), buf);
    }
  }

  /** Parses the bytes of an {@code .npy} file; {@code name} appears in messages. */
  public static HostTensor parse(String name, ByteBuffer file) throws VerifyInputException {
    ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < 10) {
      throw new VerifyInputException(name + ": not a .npy file (too short)");
    }
    for (byte m : MAGIC) {
      if (b.get() != m) {
        throw new VerifyInputException(name + ": not a .npy file (no \\x93NUMPY magic)");
      }
    }
    int major = b.get() & 0xFF;
    b.get(); // minor
    long headerLen;
    if (major == 1) {
      headerLen = b.getShort() & 0xFFFF;
    } else if (major == 2 || major == 3) {
      if (b.remaining() < 4) {
        throw new VerifyInputException(name + ": truncated .npy header");
      }
      headerLen = b.getInt() & 0xFFFFFFFFL;
    } else {
      throw new VerifyInputException(name + ": .npy format version " + major + " is not supported (1, 2, 3 are)");
    }
    if (headerLen > b.remaining()) {
      throw new VerifyInputException(name + ": truncated .npy header");
    }
    byte[] hb = new byte[(int) headerLen];
    b.get(hb);
    String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String descr = group(DESCR, header, name, "descr");
    boolean fortran = group(FORTRAN, header, name, "fortran_order").equals("True");
    long[] shape = shape(group(SHAPE, header, name, "shape"), name);
    long count;
    try {
      count = Dims.elementCount(shape);
    } catch (IllegalArgumentException e) {
      throw new VerifyInputException(name + ": " + e.getMessage());
    }
    ByteBuffer data = b.slice().order(ByteOrder.LITTLE_ENDIAN);

    if (descr.length() < 3) {
      throw new VerifyInputException(name + ": dtype '" + descr + "' is not supported");
    }
    char order = descr.charAt(0);
    char kind = descr.charAt(1);
    int size;
    try {
      size = Integer.parseInt(descr.substring(2));
    } catch (NumberFormatException e) {
      throw new VerifyInputException(name + ": dtype '" + descr + "' is not supported");
    }
    if ("<>|=".indexOf(order) < 0) {
      throw new VerifyInputException(name + ": dtype '" + descr + "' is not supported");
    }
    boolean swap = order == '>' && size > 1;
    if (kind == 'U') {
      return strings(name, data, shape, count, size, swap, fortran);
    }
    DataType type = type(kind, size);
    if (type == null) {
      throw new VerifyInputException(name + ": dtype '" + descr + "' is not supported (use float16/32/64, "
          + "int8..int64, uint8..uint64, bool or unicode strings)");
    }
    long bytes = count * size;
    if (count > HostTensor.MAX_BYTES / size || data.remaining() != bytes) {
      throw new VerifyInputException(name + ": shape " + Dims.format(shape) + " of '" + descr + "' needs "
          + (count > HostTensor.MAX_BYTES / size ? "more than " + HostTensor.MAX_BYTES : String.valueOf(bytes))
          + " bytes of data, the file holds " + data.remaining());
    }
    ByteBuffer out = HostTensor.allocate(type, count);
    int n = (int) count;
    int[] cOrderSource = fortran ? fortranIndex(shape, n) : null;
    if (!swap && !fortran) {
      out.put(data.duplicate()).flip();
    }
    for (int i = 0; (swap || fortran) && i < n; i++) {
      int src = (cOrderSource == null ? i : cOrderSource[i]) * size;
      for (int k = 0; k < size; k++) {
        out.put(i * size + k, data.get(src + (swap ? size - 1 - k : k)));
      }
    }
    if (type == DataType.BOOL) {
      for (int i = 0; i < n; i++) {
        out.put(i, (byte) (out.get(i) != 0 ? 1 : 0));
      }
    }
    return HostTensor.of(type, shape, out);
  }

  private static DataType type(char kind, int size) {
    return switch (kind) {
      case 'f' -> size == 2 ? DataType.FLOAT16 : size == 4 ? DataType.FLOAT : size == 8 ? DataType.DOUBLE : null;
      case 'i' -> size == 1 ? DataType.INT8 : size == 2 ? DataType.INT16 : size == 4 ? DataType.INT32
          : size == 8 ? DataType.INT64 : null;
      case 'u' -> size == 1 ? DataType.UINT8 : size == 2 ? DataType.UINT16 : size == 4 ? DataType.UINT32
          : size == 8 ? DataType.UINT64 : null;
      case 'b' -> size == 1 ? DataType.BOOL : null;
      default -> null;
    };
  }

  private static HostTensor strings(String name, ByteBuffer data, long[] shape, long count, int chars,
      boolean swap, boolean fortran) throws VerifyInputException {
    long width = 4L * chars;
    if (chars <= 0 || count > HostTensor.MAX_BYTES / Math.max(1, width) || data.remaining() != count * width) {
      throw new VerifyInputException(name + ": shape " + Dims.format(shape) + " of <U" + chars
          + " does not match the " + data.remaining() + " bytes of data");
    }
    int n = (int) count;
    int[] src = fortran ? fortranIndex(shape, n) : null;
    String[] values = new String[n];
    ByteBuffer d = data.duplicate().order(swap ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      int base = (int) ((src == null ? i : src[i]) * width);
      StringBuilder s = new StringBuilder();
      for (int c = 0; c < chars; c++) {
        int cp = d.getInt(base + 4 * c);
        if (cp == 0) {
          break;
        }
        if (!Character.isValidCodePoint(cp)) {
          throw new VerifyInputException(name + ": invalid code point " + cp + " in string " + i);
        }
        s.appendCodePoint(cp);
      }
      values[i] = s.toString();
    }
    return HostTensor.strings(shape, values);
  }

  /** For each C-order element index, the index of the same element in Fortran order. */
  private static int[] fortranIndex(long[] shape, int n) {
    int[] out = new int[n];
    int rank = shape.length;
    long[] idx = new long[rank];
    for (int i = 0; i < n; i++) {
      long f = 0;
      long stride = 1;
      for (int d = 0; d < rank; d++) {
        f += idx[d] * stride;
        stride *= shape[d];
      }
      out[i] = (int) f;
      for (int d = rank - 1; d >= 0; d--) { // advance the C-order counter
        if (++idx[d] < shape[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return out;
  }

  private static String group(Pattern p, String header, String name, String key) throws VerifyInputException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new VerifyInputException(name + ": .npy header has no readable '" + key + "': " + header.strip());
    }
    return m.group(1);
  }

  private static long[] shape(String tuple, String name) throws VerifyInputException {
    List<Long> dims = new ArrayList<>();
    for (String part : tuple.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1); // Python 2 longs
      }
      try {
        long d = Long.parseLong(p);
        if (d < 0) {
          throw new NumberFormatException();
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw new VerifyInputException(name + ": bad dim '" + p + "' in .npy shape (" + tuple + ")");
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }
}
