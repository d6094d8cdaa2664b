package dev.zeroinit.onnxio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files the writer creates beside its targets. They are deleted when a write fails, and a
 * shutdown hook deletes any still registered when the JVM is stopped (SIGINT, SIGTERM), so an
 * interrupted run never leaves a partial file behind.
 */
final class TempFiles {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
  /** Set by the shutdown hook before it deletes: no temp file may be created after that. */
  private static volatile boolean shuttingDown;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAll, "zero-init-temp-cleanup"));
  }

  private TempFiles() { }

  /** A new, registered temp path in the folder of {@code target}. */
  static Path beside(Path target) throws IOException {
    Path folder = target.getParent();
    String name = "." + target.getFileName() + ".zero-init-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
    Path tmp = folder.resolve(name);
    LIVE.add(tmp);
    Files.createFile(tmp);
    if (shuttingDown) {
      // the hook may have passed this file already: remove it here, so a stop never leaves one
      discard(tmp);
      throw new IOException("stopped (the JVM is shutting down)");
    }
    return tmp;
  }

  /** The temp file became a real file (renamed) and needs no cleanup. */
  static void released(Path tmp) {
    LIVE.remove(tmp);
  }

  /** Deletes a temp file, quietly. */
  static void discard(Path tmp) {
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException ignored) {
      // best effort: the file is in the target folder and named as a temp file
    }
    LIVE.remove(tmp);
  }

  private static void deleteAll() {
    shuttingDown = true;
    for (Path p : LIVE) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // the JVM is going down; nothing better to do
      }
    }
  }
}
