package dev.zeroinit.onnxio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a small file (a report) through a temp file and a rename, so readers never see half of it. */
public final class AtomicFile {
  private AtomicFile() { }

  /** Replaces {@code target} with {@code bytes}. */
  public static void write(Path target, byte[] bytes) throws IOException {
    Path absolute = target.toAbsolutePath().normalize();
    if (absolute.getParent() == null || !Files.isDirectory(absolute.getParent())) {
      throw new java.nio.file.NoSuchFileException(String.valueOf(absolute.getParent()), null,
          "the folder for " + target.getFileName() + " does not exist");
    }
    if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
      throw new java.nio.file.FileSystemException(target.toString(), null,
          Files.isDirectory(absolute) ? "is a folder" : "is not a regular file (a device or pipe?)");
    }
    Path tmp = TempFiles.beside(absolute);
    boolean done = false;
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      TempFiles.released(tmp);
      done = true;
    } finally {
      if (!done) {
        TempFiles.discard(tmp);
      }
    }
  }
}
