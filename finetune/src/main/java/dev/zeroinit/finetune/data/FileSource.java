package dev.zeroinit.finetune.data;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A byte stream read from a data file (gzip-compressed or not, or an entry of a zip archive) that
 * knows how many bytes the data can hold at most, so a reader can check the counts in a header
 * against it before allocating anything. For a plain file the bound is exact (its size); for
 * compressed data it is the declared size when the container states one, else the most that deflate
 * can expand the stored bytes to. Allocation of compressed data grows with what is actually
 * decompressed, never with what a header claims.
 */
final class FileSource implements Closeable {
  /** Deflate cannot expand data by more than about 1032:1. */
  static final long MAX_INFLATE_RATIO = 1032;
  /** The largest Java array this package allocates. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

  private static final int BUFFER = 1 << 16;

  private final Path file;
  private final InputStream in;
  private final long storedSize;
  private final long declaredSize;
  private final boolean compressed;
  private final String prefix;
  private long position;

  private FileSource(Path file, String prefix, InputStream in, long storedSize, long declaredSize,
      boolean compressed) {
    this.file = file;
    this.prefix = prefix;
    this.in = in;
    this.storedSize = storedSize;
    this.declaredSize = declaredSize;
    this.compressed = compressed;
  }

  /** Opens {@code file}, decompressing it when it starts with the gzip magic bytes. */
  static FileSource open(Path file) throws IOException, DatasetException {
    long size = Files.size(file);
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
    boolean gzip;
    try {
      raw.mark(2);
      gzip = raw.read() == 0x1f && raw.read() == 0x8b;
      raw.reset();
    } catch (IOException e) {
      raw.close();
      throw e;
    }
    if (!gzip) {
      return new FileSource(file, "", raw, size, size, false);
    }
    try {
      return new FileSource(file, "", new GZIPInputStream(raw, BUFFER), size, -1, true);
    } catch (ZipException | EOFException e) {
      raw.close();
      throw new DatasetException(file, "corrupt gzip header (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      raw.close();
      throw e;
    }
  }

  /**
   * A source over an already opened stream (a zip entry named {@code entry}, which prefixes every
   * message): {@code storedSize} bytes on disk, {@code declaredSize} the uncompressed size when it
   * is certain (-1 when it is not: then allocation grows with the data actually read).
   */
  static FileSource of(Path file, String entry, InputStream in, long storedSize, long declaredSize,
      boolean compressed) {
    return new FileSource(file, entry + ": ", in, storedSize, declaredSize, compressed);
  }

  Path file() {
    return file;
  }

  boolean compressed() {
    return compressed;
  }

  /** Bytes consumed so far (of the decompressed stream). */
  long position() {
    return position;
  }

  /** The most bytes the (decompressed) stream can hold. */
  long maxLength() {
    if (declaredSize >= 0) {
      return declaredSize;
    }
    return storedSize > Long.MAX_VALUE / MAX_INFLATE_RATIO
        ? Long.MAX_VALUE : storedSize * MAX_INFLATE_RATIO + 1024;
  }

  /**
   * Checks that {@code payload} more bytes (the data a header describes as {@code what}) fit in the
   * stream, and, when {@code exact} and the total length is known, that nothing follows them.
   */
  void checkPayload(long payload, String what, boolean exact) throws DatasetException {
    long available = maxLength() - position;
    if (declaredSize >= 0) {
      if (payload > available) {
        throw fail("truncated: the header describes " + what + " (" + payload + " bytes) but only "
            + available + " bytes follow it" + (compressed ? " (uncompressed)" : ""));
      }
      if (exact && payload < available) {
        throw fail((available - payload) + " unexpected bytes after " + what + " ("
            + payload + " bytes, as the header says)");
      }
    } else if (payload > available) {
      throw fail("the header describes " + what + " (" + payload + " bytes), more than "
          + storedSize + " compressed bytes can hold");
    }
  }

  /** Fails unless the stream is at its end (after {@code what}). */
  void checkEnd(String what) throws IOException, DatasetException {
    int next = read();
    if (next >= 0) {
      throw fail("unexpected bytes after " + what);
    }
  }

  /** The next byte, or -1 at the end. */
  int read() throws IOException, DatasetException {
    try {
      int b = in.read();
      if (b >= 0) {
        position++;
      }
      return b;
    } catch (ZipException | EOFException e) {
      throw corrupt(e);
    }
  }

  /** Reads exactly {@code len} bytes into {@code dst}, failing with "truncated ... {@code what}". */
  void readFully(byte[] dst, int off, int len, String what) throws IOException, DatasetException {
    int n = readUpTo(dst, off, len);
    if (n < len) {
      throw fail("truncated: " + what + " needs " + len + " bytes at offset " + (position - n)
          + ", the data ends after " + n);
    }
  }

  /** Reads up to {@code len} bytes (fewer only at the end of the stream). */
  int readUpTo(byte[] dst, int off, int len) throws IOException, DatasetException {
    try {
      int n = in.readNBytes(dst, off, len);
      position += n;
      return n;
    } catch (ZipException | EOFException e) {
      throw corrupt(e);
    }
  }

  /**
   * Exactly {@code n} bytes of {@code what}. For a stream whose size is known this allocates
   * {@code n} bytes at once (the caller has checked {@code n} against the size); for compressed data
   * the array grows only as data arrives, so a header cannot make it allocate more than the file
   * really decompresses to.
   */
  byte[] readBytes(long n, String what) throws IOException, DatasetException {
    if (n > MAX_ARRAY) {
      throw fail(what + " is " + n + " bytes, more than this reader holds in memory ("
          + MAX_ARRAY + ")");
    }
    int len = (int) n;
    if (declaredSize >= 0) {
      checkPayload(n, what, false);
      byte[] dst = new byte[len];
      readFully(dst, 0, len, what);
      return dst;
    }
    byte[] dst = new byte[Math.min(len, 1 << 20)];
    int filled = 0;
    while (filled < len) {
      if (filled == dst.length) {
        dst = Arrays.copyOf(dst, (int) Math.min(len, 2L * dst.length));
      }
      int got = readUpTo(dst, filled, dst.length - filled);
      if (got == 0) {
        throw fail("truncated: " + what + " needs " + n + " bytes, the data ends after "
            + filled);
      }
      filled += got;
    }
    return dst;
  }

  /** A big-endian 32-bit integer (of {@code what}). */
  int readIntBigEndian(String what) throws IOException, DatasetException {
    byte[] b = new byte[4];
    readFully(b, 0, 4, what);
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  DatasetException fail(String message) {
    return new DatasetException(file, prefix + message);
  }

  private DatasetException corrupt(IOException e) {
    String what = e instanceof EOFException ? "truncated compressed data" : "corrupt compressed data";
    return new DatasetException(file, prefix + what + " after " + position + " bytes ("
        + e.getMessage() + ")", e);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /**
   * Up to {@code n} leading bytes of {@code file}, decompressed when it is gzip; fewer when the data
   * is shorter or the gzip stream is corrupt. Used to recognise formats.
   */
  static byte[] peek(Path file, int n) throws IOException {
    try (FileSource source = open(file)) {
      byte[] head = new byte[n];
      return Arrays.copyOf(head, source.readUpTo(head, 0, n));
    } catch (DatasetException e) {
      return new byte[0];
    }
  }

  /** Whether {@code file} starts with the gzip magic bytes. */
  static boolean isGzip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }
}
