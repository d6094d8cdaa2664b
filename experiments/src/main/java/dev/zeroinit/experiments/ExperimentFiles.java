package dev.zeroinit.experiments;

import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.WriteRefusedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The three files an experiment writes into its output folder: {@code NAME.csv} (every measured
 * point), {@code NAME.png} (the chart) and {@code NAME.md} (the summary), each written atomically.
 * Existing files are refused before the experiment starts, unless the caller allows replacing them.
 */
public final class ExperimentFiles {
  private ExperimentFiles() {}

  /** The files experiment {@code name} writes into {@code out}. */
  public static List<Path> of(Path out, String name) {
    return List.of(out.resolve(name + ".csv"), out.resolve(name + ".png"),
        out.resolve(name + ".md"));
  }

  /**
   * Refuses to start when one of the files exists and {@code replace} is false, or when {@code out}
   * is not a folder.
   */
  public static void check(Path out, String name, boolean replace) throws WriteRefusedException {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new WriteRefusedException(out + ": exists and is not a folder; give --out a folder");
    }
    if (replace) {
      return;
    }
    for (Path f : of(out, name)) {
      if (Files.exists(f)) {
        throw new WriteRefusedException(f + ": exists; use --force to replace the experiment's files"
            + " or give another --out folder");
      }
    }
  }

  /** Writes the three files (the folder is made when missing). */
  static List<Path> write(Path out, String name, ResultTable points, byte[] png, String markdown)
      throws IOException {
    Files.createDirectories(out);
    List<Path> files = of(out, name);
    AtomicFile.write(files.get(0), points.csv().getBytes(StandardCharsets.UTF_8));
    AtomicFile.write(files.get(1), png);
    AtomicFile.write(files.get(2), markdown.getBytes(StandardCharsets.UTF_8));
    return files;
  }
}
