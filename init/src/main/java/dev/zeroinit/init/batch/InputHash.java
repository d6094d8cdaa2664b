package dev.zeroinit.init.batch;

import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

/**
 * The identity of a model's input for {@code --resume}: SHA-256 over the model file followed by each
 * of its external data files (sorted by their path relative to the model's folder), each file
 * preceded by its length as 8 bytes big-endian, so bytes cannot move between files unnoticed. Files
 * are read in 1 MB pieces; nothing is held.
 */
public final class InputHash {
  private static final int BUFFER = 1 << 20;

  private InputHash() { }

  /** The model file, then its external data files in location order (real paths). */
  public static List<Path> files(OnnxModel model) {
    Path folder = model.file().getParent();
    TreeMap<String, Path> data = new TreeMap<>();
    for (ExternalDataStore.Region r : model.externalRegions().values()) {
      Path real = r.file();
      String key;
      try {
        key = ModelDiscovery.relative(folder.toRealPath(), real);
      } catch (IOException | IllegalArgumentException e) {
        key = real.toString();
      }
      data.put(key, real);
    }
    List<Path> files = new ArrayList<>();
    files.add(model.file());
    files.addAll(data.values());
    return files;
  }

  /** The hash of {@code files} in this order, as 64 lower-case hex digits. */
  public static String sha256(List<Path> files) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    ByteBuffer buf = ByteBuffer.allocate(BUFFER);
    for (Path f : files) {
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
        long size = ch.size();
        buf.clear();
        buf.putLong(size);
        md.update(buf.array(), 0, 8);
        long read = 0;
        while (true) {
          buf.clear();
          int n = ch.read(buf);
          if (n < 0) {
            break;
          }
          md.update(buf.array(), 0, n);
          read += n;
        }
        if (read != size) {
          throw new IOException(f + " changed size while it was hashed (" + size + " -> " + read + " bytes)");
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
