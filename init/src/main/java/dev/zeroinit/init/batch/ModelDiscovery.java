package dev.zeroinit.init.batch;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the models of a batch: every regular file named {@code *.onnx} (any case) under a folder, at
 * any depth, as paths relative to it with {@code /} separators, sorted by those paths (code point
 * order), so every machine and every run sees the same list. Folders reached through symbolic links
 * are not entered (no loops, nothing outside the folder); a link to a file is listed. The output
 * folder, when it lies inside the input folder, is left out, so a re-run does not take earlier
 * results for inputs. Hidden temp files of an interrupted write ({@code .NAME.zero-init-*.tmp}) do
 * not end in {@code .onnx} and are never listed.
 */
public final class ModelDiscovery {
  private ModelDiscovery() { }

  /** The relative paths of the models under {@code root}, skipping the subtree {@code exclude}. */
  public static List<String> find(Path root, Path exclude) throws IOException {
    Path base = root.toRealPath();
    Path skip = exclude == null ? null : realOrAbsolute(exclude);
    List<String> found = new ArrayList<>();
    Files.walkFileTree(base, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return skip != null && !dir.equals(base) && dir.equals(skip)
            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        String name = file.getFileName().toString();
        if (name.toLowerCase(Locale.ROOT).endsWith(".onnx")
            && (attrs.isRegularFile() || attrs.isSymbolicLink() && Files.isRegularFile(file))) {
          found.add(relative(base, file));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    found.sort(String::compareTo);
    return found;
  }

  private static Path realOrAbsolute(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  /** {@code file} relative to {@code base}, with {@code /} separators. */
  static String relative(Path base, Path file) {
    List<String> parts = new ArrayList<>();
    for (Path p : base.relativize(file)) {
      parts.add(p.toString());
    }
    return String.join("/", parts);
  }
}
