package dev.zeroinit.finetune.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writers of small data files in every format, for the tests. */
final class TestFiles {
  private TestFiles() {}

  /** Bytes 0..255 repeating from {@code start}: distinct, predictable pixel values. */
  static byte[] pattern(int n, int start) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((start + i * 7) & 0xff);
    }
    return b;
  }

  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    return b.array();
  }

  static byte[] idxImages(int n, int h, int w, byte[] pixels) {
    return idx(0x00000803, new int[] {n, h, w}, pixels);
  }

  static byte[] idxLabels(byte[] labels) {
    return idx(0x00000801, new int[] {labels.length}, labels);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static Path write(Path file, byte[] data) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.write(file, data);
  }

  /** CIFAR records: {@code labelBytes} label bytes then 3072 pixels each. */
  static byte[] cifar(int[][] labels, byte[] pixels) {
    int n = labels.length;
    int lb = labels[0].length;
    ByteBuffer b = ByteBuffer.allocate(n * (lb + 3072));
    for (int i = 0; i < n; i++) {
      for (int l : labels[i]) {
        b.put((byte) l);
      }
      b.put(pixels, i * 3072, 3072);
    }
    return b.array();
  }

  /** A version 1.0 .npy file: header padded with spaces to a multiple of 64 bytes, then data. */
  static byte[] npy(String descr, long[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String s = shape.length == 1 ? shape[0] + "," : dims.substring(0, dims.length() - 2);
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + s + "), }";
    int total = 10 + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.US_ASCII));
    b.put(data);
    return b.array();
  }

  static byte[] f4(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  static byte[] f8(double... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double f : v) {
      b.putDouble(f);
    }
    return b.array();
  }

  static byte[] i8(long... v) {
    ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long f : v) {
      b.putLong(f);
    }
    return b.array();
  }

  static byte[] i4(int... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int f : v) {
      b.putInt(f);
    }
    return b.array();
  }

  /** A zip of {@code name.npy} entries, stored or deflated. */
  static byte[] npz(Map<String, byte[]> arrays, boolean deflate) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
        ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
        byte[] data = e.getValue();
        if (deflate) {
          entry.setMethod(ZipEntry.DEFLATED);
        } else {
          entry.setMethod(ZipEntry.STORED);
          CRC32 crc = new CRC32();
          crc.update(data);
          entry.setSize(data.length);
          entry.setCompressedSize(data.length);
          entry.setCrc(crc.getValue());
        }
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  static Map<String, byte[]> arrays(Object... nameThenBytes) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < nameThenBytes.length; i += 2) {
      m.put((String) nameThenBytes[i], (byte[]) nameThenBytes[i + 1]);
    }
    return m;
  }

  static void writeText(Path file, String text) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
