package dev.zeroinit.finetune.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads IDX files (the MNIST format), plain or gzip-compressed: a 4-byte magic number (two zero
 * bytes, the element type, the number of dimensions), the dimensions as big-endian 32-bit integers,
 * then the elements in row-major order. Only unsigned bytes (type 0x08) are read: images
 * {@code 0x00000803} ({@code [N,H,W]}; also 2 and 4 dimensions) and labels {@code 0x00000801}.
 */
final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;

  private IdxReader() {}

  /** Images: {@code total} in the file, the first {@code count} read; shape of one sample. */
  record Images(int total, int count, int[] shape, byte[] pixels) {}

  /** Labels: {@code total} in the file, all of them read. */
  record Labels(int total, int[] labels) {}

  /**
   * The first {@code limit} images ({@code 0}: all) of {@code file}, with 3-D files ({@code [N,H,W]})
   * given one channel ({@code [1,H,W]}).
   */
  static Images readImages(Path file, int limit) throws IOException, DatasetException {
    try (FileSource in = FileSource.open(file)) {
      int[] dims = header(in, "images", 2, 4);
      int total = dims[0];
      int[] shape = Arrays.copyOfRange(dims, 1, dims.length);
      long rowBytes = exactProduct(in, shape, dims);
      long payload = exactProduct(in, dims, dims);
      String what = total + " images of " + dimsText(shape);
      in.checkPayload(payload, what, true);
      int count = limit > 0 ? Math.min(limit, total) : total;
      byte[] pixels = in.readBytes(count * rowBytes, what);
      if (count == total) {
        in.checkEnd(what);
      }
      if (shape.length == 2) {
        shape = new int[] {1, shape[0], shape[1]};
      }
      return new Images(total, count, shape, pixels);
    }
  }

  /** All labels of {@code file}. */
  static Labels readLabels(Path file) throws IOException, DatasetException {
    try (FileSource in = FileSource.open(file)) {
      int[] dims = header(in, "labels", 1, 1);
      int total = dims[0];
      String what = total + " labels";
      in.checkPayload(total, what, true);
      byte[] raw = in.readBytes(total, what);
      in.checkEnd(what);
      int[] labels = new int[total];
      for (int i = 0; i < total; i++) {
        labels[i] = raw[i] & 0xff;
      }
      return new Labels(total, labels);
    }
  }

  /** Whether {@code head} (at least 4 bytes) starts with the IDX magic of {@code magic}. */
  static boolean hasMagic(byte[] head, int magic) {
    return head.length >= 4 && readInt(head) == magic;
  }

  private static int[] header(FileSource in, String kind, int minRank, int maxRank)
      throws IOException, DatasetException {
    byte[] magic = new byte[4];
    int got = in.readUpTo(magic, 0, 4);
    if (got < 4) {
      throw in.fail("not an IDX " + kind + " file: only " + got + " bytes");
    }
    int expected = kind.equals("labels") ? LABELS_MAGIC : IMAGES_MAGIC;
    int type = magic[2] & 0xff;
    int rank = magic[3] & 0xff;
    if (magic[0] != 0 || magic[1] != 0) {
      throw in.fail(String.format("not an IDX %s file: magic number 0x%08x, expected 0x%08x",
          kind, readInt(magic), expected));
    }
    if (type != 0x08) {
      throw in.fail(String.format("IDX element type 0x%02x (%s) is not supported, only unsigned "
          + "bytes (0x08)", type, typeName(type)));
    }
    if (rank < minRank || rank > maxRank) {
      throw in.fail(String.format("IDX %s file with %d dimensions (magic 0x%08x); expected %s",
          kind, rank, readInt(magic), minRank == maxRank
              ? String.valueOf(minRank) : minRank + " to " + maxRank));
    }
    int[] dims = new int[rank];
    for (int d = 0; d < rank; d++) {
      dims[d] = in.readIntBigEndian("the IDX header");
      if (dims[d] <= 0) {
        throw in.fail("IDX header: dimension " + d + " is " + Integer.toUnsignedString(dims[d])
            + (dims[d] == 0 ? " (no data)" : " (more than this reader supports)"));
      }
    }
    return dims;
  }

  private static long exactProduct(FileSource in, int[] factors, int[] dims)
      throws DatasetException {
    long p = 1;
    try {
      for (int f : factors) {
        p = Math.multiplyExact(p, f);
      }
      return p;
    } catch (ArithmeticException e) {
      throw in.fail("IDX header dimensions " + dimsText(dims) + " are too large");
    }
  }

  static String dimsText(int[] dims) {
    StringBuilder s = new StringBuilder();
    for (int d : dims) {
      s.append(s.length() == 0 ? "" : "x").append(d);
    }
    return s.toString();
  }

  private static int readInt(byte[] b) {
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  private static String typeName(int type) {
    switch (type) {
      case 0x09:
        return "signed byte";
      case 0x0B:
        return "short";
      case 0x0C:
        return "int";
      case 0x0D:
        return "float";
      case 0x0E:
        return "double";
      default:
        return "unknown";
    }
  }
}
