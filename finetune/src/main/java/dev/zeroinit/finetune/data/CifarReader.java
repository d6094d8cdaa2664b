package dev.zeroinit.finetune.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reads CIFAR binary batches: records of the label byte(s) and 3072 pixel bytes (1024 red, 1024
 * green, 1024 blue, each 32x32 row-major — already channel-first). CIFAR-10 records have one label
 * byte (0-9); CIFAR-100 records two, coarse (0-19) then fine (0-99), of which the fine label is used.
 * Files may be gzip-compressed.
 */
final class CifarReader {
  static final int PIXELS = 3 * 32 * 32;
  static final int[] SHAPE = {3, 32, 32};

  private CifarReader() {}

  /** The first {@code count} images of the files (in order) and their labels. */
  record Images(int count, byte[] pixels, int[] labels, int numClasses) {}

  /** The record size of a variant with {@code labelBytes} label bytes. */
  static int recordSize(int labelBytes) {
    return labelBytes + PIXELS;
  }

  /**
   * Reads {@code files} as CIFAR-10 ({@code labelBytes} 1) or CIFAR-100 ({@code labelBytes} 2),
   * at most {@code limit} records in all ({@code 0}: all).
   */
  static Images read(List<Path> files, int labelBytes, int limit)
      throws IOException, DatasetException {
    int record = recordSize(labelBytes);
    int numClasses = labelBytes == 1 ? 10 : 100;
    long known = 0;
    for (Path f : files) {
      if (!FileSource.isGzip(f)) {
        long size = Files.size(f);
        if (size == 0 || size % record != 0) {
          throw new DatasetException(f, "size " + size + " is not a whole number of CIFAR-"
              + numClasses + " records (" + record + " bytes each)"
              + (size % recordSize(3 - labelBytes) == 0 && size > 0
                  ? "; it is one of CIFAR-" + (labelBytes == 1 ? 100 : 10) + " records" : ""));
        }
        known += size / record;
      }
    }
    long cap = limit > 0 ? limit : FileSource.MAX_ARRAY / PIXELS;
    long initial = Math.max(1, Math.min(known, cap));
    byte[] pixels = new byte[(int) (initial * PIXELS)];
    int[] labels = new int[(int) initial];
    int count = 0;
    byte[] buf = new byte[record];
    outer:
    for (Path f : files) {
      try (FileSource in = FileSource.open(f)) {
        for (int r = 0; ; r++) {
          if (count == cap) {
            if (limit > 0) {
              break outer;
            }
            throw in.fail("more than " + cap + " CIFAR images, more than this reader holds");
          }
          int got = in.readUpTo(buf, 0, record);
          if (got == 0) {
            if (r == 0) {
              throw in.fail("no CIFAR records (the data is empty)");
            }
            break;
          }
          if (got < record) {
            throw in.fail("truncated: record " + r + " has " + got + " of " + record + " bytes");
          }
          int label = buf[labelBytes - 1] & 0xff;
          if (label >= numClasses || (labelBytes == 2 && (buf[0] & 0xff) >= 20)) {
            throw in.fail("record " + r + ": label " + (buf[0] & 0xff)
                + (labelBytes == 2 ? "/" + label : "") + " is out of range for CIFAR-"
                + numClasses + (labelBytes == 1
                    ? " (0-9; CIFAR-100 files have two label bytes: --format cifar with "
                        + "train.bin/test.bin names)"
                    : " (coarse 0-19, fine 0-99)"));
          }
          if (count == labels.length) {
            int grown = (int) Math.min(cap, 2L * labels.length);
            labels = Arrays.copyOf(labels, grown);
            pixels = Arrays.copyOf(pixels, grown * PIXELS);
          }
          labels[count] = label;
          System.arraycopy(buf, labelBytes, pixels, count * PIXELS, PIXELS);
          count++;
        }
      }
    }
    if (labels.length != count) {
      labels = Arrays.copyOf(labels, count);
      pixels = Arrays.copyOf(pixels, count * PIXELS);
    }
    return new Images(count, pixels, labels, numClasses);
  }
}
