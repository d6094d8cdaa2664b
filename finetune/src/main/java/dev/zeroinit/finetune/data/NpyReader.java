package dev.zeroinit.finetune.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npy} arrays (format versions 1-3) and {@code .npz} archives of them (zip,
 * entries stored or deflated). The header is a Python dict literal with {@code descr} (here
 * {@code f4 f8 u1 i1 i2 u2 i4 i8}, either byte order), {@code fortran_order} (only False) and
 * {@code shape}; the data follows in row-major order.
 */
final class NpyReader {
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** The longest header read (NumPy itself refuses headers over 10,000 bytes by default). */
  static final int MAX_HEADER = 1 << 16;

  private NpyReader() {}

  /** An element type. */
  enum DType {
    F4(4, false), F8(8, false), U1(1, true), I1(1, true), I2(2, true), U2(2, true), I4(4, true),
    I8(8, true);

    final int size;
    final boolean integer;

    DType(int size, boolean integer) {
      this.size = size;
      this.integer = integer;
    }
  }

  /**
   * An array: its dtype, byte order and full shape (as the header says), and the raw bytes of its
   * first {@code rows} rows (along the first axis).
   */
  record Array(String name, DType dtype, ByteOrder order, long[] shape, int rows, byte[] raw) {
    /** The number of elements in one row (product of the shape after the first axis). */
    long rowElements() {
      long p = 1;
      for (int d = 1; d < shape.length; d++) {
        p *= shape[d];
      }
      return p;
    }

    /** The elements read, as floats (integers converted, byte order applied). */
    float[] toFloats() {
      int n = raw.length / dtype.size;
      float[] out = new float[n];
      ByteBuffer b = ByteBuffer.wrap(raw).order(order);
      switch (dtype) {
        case F4:
          b.asFloatBuffer().get(out);
          break;
        case F8:
          for (int i = 0; i < n; i++) {
            out[i] = (float) b.getDouble(i * 8);
          }
          break;
        default:
          for (int i = 0; i < n; i++) {
            out[i] = (float) integerAt(b, i);
          }
      }
      return out;
    }

    /** Element {@code i} as a double. */
    double valueAt(ByteBuffer b, int i) {
      switch (dtype) {
        case F4:
          return b.getFloat(i * 4);
        case F8:
          return b.getDouble(i * 8);
        default:
          return integerAt(b, i);
      }
    }

    long integerAt(ByteBuffer b, int i) {
      switch (dtype) {
        case U1:
          return raw[i] & 0xff;
        case I1:
          return raw[i];
        case I2:
          return b.getShort(i * 2);
        case U2:
          return b.getShort(i * 2) & 0xffff;
        case I4:
          return b.getInt(i * 4);
        case I8:
          return b.getLong(i * 8);
        default:
          throw new IllegalStateException(dtype + " is not an integer type");
      }
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(raw).order(order);
    }
  }

  /** Reads the first {@code rowLimit} rows ({@code 0}: all) of the {@code .npy} file. */
  static Array read(Path file, long rowLimit) throws IOException, DatasetException {
    try (FileSource in = FileSource.open(file)) {
      return read(in, file.getFileName().toString(), rowLimit);
    }
  }

  /** Reads the first {@code rowLimit} rows ({@code 0}: all) of the array in {@code in}. */
  static Array read(FileSource in, String name, long rowLimit)
      throws IOException, DatasetException {
    byte[] magic = new byte[8];
    int got = in.readUpTo(magic, 0, 8);
    for (int i = 0; i < MAGIC.length; i++) {
      if (got < 8 || magic[i] != MAGIC[i]) {
        throw in.fail("not a NumPy .npy array (no \\x93NUMPY magic)");
      }
    }
    int major = magic[6] & 0xff;
    long headerLength;
    if (major == 1) {
      byte[] len = new byte[2];
      in.readFully(len, 0, 2, "the .npy header length");
      headerLength = (len[0] & 0xff) | ((len[1] & 0xff) << 8);
    } else if (major == 2 || major == 3) {
      byte[] len = new byte[4];
      in.readFully(len, 0, 4, "the .npy header length");
      headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    } else {
      throw in.fail(".npy format version " + major + "." + (magic[7] & 0xff)
          + " is not supported (1, 2 or 3)");
    }
    if (headerLength > MAX_HEADER) {
      throw in.fail(".npy header of " + headerLength + " bytes is longer than " + MAX_HEADER);
    }
    in.checkPayload(headerLength, "a .npy header", false);
    byte[] text = new byte[(int) headerLength];
    in.readFully(text, 0, text.length, "the .npy header");
    String header = new String(text,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Map<String, Object> dict;
    try {
      dict = new HeaderParser(header).dict();
    } catch (IllegalArgumentException e) {
      throw in.fail("bad .npy header: " + e.getMessage());
    }
    Object descr = dict.get("descr");
    Object fortran = dict.get("fortran_order");
    Object shapeValue = dict.get("shape");
    if (!(descr instanceof String) || !(fortran instanceof Boolean)
        || !(shapeValue instanceof List)) {
      throw in.fail(".npy header needs 'descr' (a string), 'fortran_order' and 'shape' (a tuple): "
          + header.trim());
    }
    if ((Boolean) fortran) {
      throw in.fail("arrays in Fortran order are not supported (save with "
          + "np.ascontiguousarray)");
    }
    String d = (String) descr;
    ByteOrder order;
    switch (d.isEmpty() ? '?' : d.charAt(0)) {
      case '<':
      case '|':
        order = ByteOrder.LITTLE_ENDIAN;
        break;
      case '>':
        order = ByteOrder.BIG_ENDIAN;
        break;
      case '=':
        order = ByteOrder.nativeOrder();
        break;
      default:
        throw in.fail("unsupported .npy dtype '" + d + "'");
    }
    DType dtype;
    try {
      dtype = DType.valueOf(d.substring(1).toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw in.fail("unsupported .npy dtype '" + d + "' (supported: f4 f8 u1 i1 i2 u2 i4 i8)");
    }
    @SuppressWarnings("unchecked")
    List<Long> dims = (List<Long>) shapeValue;
    long[] shape = new long[dims.size()];
    long payload = 1;
    try {
      for (int i = 0; i < shape.length; i++) {
        shape[i] = dims.get(i);
        if (shape[i] < 0) {
          throw in.fail(".npy shape " + dims + " has a negative dimension");
        }
        payload = Math.multiplyExact(payload, shape[i]);
      }
      payload = Math.multiplyExact(payload, dtype.size);
    } catch (ArithmeticException e) {
      throw in.fail(".npy shape " + dims + " is too large");
    }
    if (shape.length == 0) {
      throw in.fail("a scalar (shape ()) is not a data array");
    }
    String what = "an array of shape " + dims + " and dtype " + d;
    in.checkPayload(payload, what, true);
    long rows = shape[0];
    long take = rowLimit > 0 ? Math.min(rowLimit, rows) : rows;
    long rowBytes = rows == 0 ? 0 : payload / rows;
    if (take > FileSource.MAX_ARRAY) {
      throw in.fail(what + " has more rows than this reader holds");
    }
    byte[] raw = in.readBytes(take * rowBytes, what);
    if (take == rows) {
      in.checkEnd(what);
    }
    return new Array(name, dtype, order, shape, (int) take, raw);
  }

  /** Whether {@code head} starts with the .npy magic. */
  static boolean hasMagic(byte[] head) {
    if (head.length < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (head[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /** An open {@code .npz} archive: its arrays by name (without {@code .npy}). */
  static final class Npz implements AutoCloseable {
    private final Path file;
    private final ZipFile zip;
    private final Map<String, ZipEntry> arrays = new LinkedHashMap<>();
    private final long fileSize;

    Npz(Path file) throws IOException, DatasetException {
      this.file = file;
      this.fileSize = Files.size(file);
      try {
        this.zip = new ZipFile(file.toFile());
      } catch (ZipException e) {
        throw new DatasetException(file, "not a valid .npz (zip) archive: " + e.getMessage(), e);
      }
      try {
        var entries = zip.entries();
        while (entries.hasMoreElements()) {
          ZipEntry e = entries.nextElement();
          String n = e.getName();
          if (!e.isDirectory() && n.endsWith(".npy")) {
            arrays.put(n.substring(0, n.length() - 4), e);
          }
        }
      } catch (IllegalArgumentException | IllegalStateException e) {
        zip.close();
        throw new DatasetException(file, "not a valid .npz (zip) archive: " + e.getMessage(), e);
      }
    }

    Path file() {
      return file;
    }

    List<String> names() {
      return new ArrayList<>(arrays.keySet());
    }

    boolean has(String name) {
      return arrays.containsKey(name);
    }

    /** The first {@code rowLimit} rows ({@code 0}: all) of array {@code name}. */
    Array read(String name, long rowLimit) throws IOException, DatasetException {
      ZipEntry e = arrays.get(name);
      boolean stored = e.getMethod() == ZipEntry.STORED;
      long compressedSize = e.getCompressedSize() < 0
          ? fileSize : Math.min(e.getCompressedSize(), fileSize);
      try (var stream = zip.getInputStream(e);
          FileSource in = FileSource.of(file, e.getName(), stream, compressedSize,
              stored && e.getSize() >= 0 ? e.getSize() : -1, !stored)) {
        return NpyReader.read(in, name, rowLimit);
      } catch (ZipException ex) {
        throw new DatasetException(file, e.getName() + ": " + ex.getMessage(), ex);
      }
    }

    @Override
    public void close() throws IOException {
      zip.close();
    }
  }

  /** A parser of the Python literals in a .npy header: dicts, strings, booleans, int tuples. */
  private static final class HeaderParser {
    private final String s;
    private int i;

    HeaderParser(String s) {
      this.s = s;
    }

    Map<String, Object> dict() {
      skip();
      expect('{');
      Map<String, Object> out = new LinkedHashMap<>();
      skip();
      while (peek() != '}') {
        String key = string();
        skip();
        expect(':');
        out.put(key, value());
        skip();
        if (peek() == ',') {
          i++;
          skip();
        } else if (peek() != '}') {
          throw error("expected , or }");
        }
      }
      i++;
      return out;
    }

    private Object value() {
      skip();
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '(') {
        i++;
        List<Long> items = new ArrayList<>();
        skip();
        while (peek() != ')') {
          items.add(integer());
          skip();
          if (peek() == ',') {
            i++;
            skip();
          } else if (peek() != ')') {
            throw error("expected , or ) in the shape");
          }
        }
        i++;
        return items;
      }
      if (s.startsWith("True", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("False", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      throw error("unexpected '" + c + "'");
    }

    private long integer() {
      int start = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (start == i) {
        throw error("expected a whole number in the shape");
      }
      long v;
      try {
        v = Long.parseLong(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw error("dimension " + s.substring(start, i) + " is too large");
      }
      if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) {
        i++;
      }
      return v;
    }

    private String string() {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw error("expected a quoted string");
      }
      int end = s.indexOf(q, i + 1);
      if (end < 0) {
        throw error("unterminated string");
      }
      String v = s.substring(i + 1, end);
      i = end + 1;
      return v;
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private char peek() {
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(i);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at character " + i + " of "
          + (s.length() > 200 ? s.substring(0, 200) + "..." : s.trim()));
    }
  }
}
