package dev.zeroinit.onnxio.external;

import dev.zeroinit.onnxio.InvalidModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads external tensor data of one model, lazily and only from inside the model's folder. Every
 * location is checked before any file is opened: it must be relative, without {@code ..} segments,
 * and after resolving symbolic links it must still lie inside the folder and be a regular file.
 * Files are opened once and mapped region by region; nothing is read until a tensor asks.
 */
public final class ExternalDataStore implements AutoCloseable {
  private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:.*");

  private final Path folder;
  private Path realFolder;
  private final Map<Path, FileChannel> channels = new LinkedHashMap<>();
  private final Set<Path> filesUsed = new LinkedHashSet<>();

  /** A store for a model that lives in {@code folder}. */
  public ExternalDataStore(Path folder) {
    this.folder = folder.toAbsolutePath().normalize();
  }

  /** The model's folder, against which locations resolve. */
  public Path folder() {
    return folder;
  }

  /** Every data file resolved so far (real paths), in first-use order. */
  public Set<Path> filesUsed() {
    return Set.copyOf(filesUsed);
  }

  /**
   * Checks a location and returns the real path of its file; refuses absolute paths, {@code ..},
   * escapes through symbolic links, folders, devices and missing files.
   */
  public Path resolve(String location) throws InvalidModelException, IOException {
    if (location.indexOf('\0') >= 0) {
      throw new InvalidModelException("external data location contains a NUL character");
    }
    String unified = location.replace('\\', '/');
    if (unified.startsWith("/") || WINDOWS_DRIVE.matcher(unified).matches()) {
      throw new InvalidModelException("external data location '" + location
          + "' is absolute; only paths relative to the model's folder are allowed");
    }
    for (String segment : unified.split("/")) {
      if (segment.equals("..")) {
        throw new InvalidModelException("external data location '" + location
            + "' contains '..'; only paths inside the model's folder are allowed");
      }
    }
    if (realFolder == null) {
      realFolder = folder.toRealPath();
    }
    Path candidate = folder.resolve(unified).normalize();
    if (!candidate.startsWith(folder)) {
      throw new InvalidModelException(
          "external data location '" + location + "' points outside the model's folder");
    }
    if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS) && !Files.exists(candidate)) {
      throw new InvalidModelException("external data file '" + location + "' not found in " + folder);
    }
    Path real;
    try {
      real = candidate.toRealPath();
    } catch (IOException e) {
      throw new InvalidModelException("external data file '" + location + "' cannot be resolved ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
    if (!real.startsWith(realFolder)) {
      throw new InvalidModelException("external data location '" + location
          + "' leaves the model's folder through a symbolic link (to " + real + ")");
    }
    if (Files.isDirectory(real)) {
      throw new InvalidModelException("external data location '" + location + "' is a folder");
    }
    if (!Files.isRegularFile(real)) {
      throw new InvalidModelException(
          "external data location '" + location + "' is not a regular file (a device or pipe?)");
    }
    return real;
  }

  /**
   * Checks {@code ref} against its file and the byte count the tensor needs; returns the checked
   * region (length filled in when the reference had none).
   */
  public Region region(String tensorName, ExternalDataRef ref, long expectedBytes)
      throws InvalidModelException, IOException {
    Path file = resolve(ref.location());
    long size = channel(file).size();
    long length = ref.length() < 0 ? size - ref.offset() : ref.length();
    // offset <= size first, so size - offset cannot overflow (offset + length could)
    if (ref.offset() > size || length < 0 || length > size - ref.offset()) {
      throw new InvalidModelException("tensor '" + tensorName + "': external data offset "
          + ref.offset() + " + length " + length + " lies beyond the end of '" + ref.location()
          + "' (" + size + " bytes)");
    }
    if (expectedBytes >= 0 && length != expectedBytes) {
      throw new InvalidModelException("tensor '" + tensorName + "': external data length " + length
          + " bytes, but its dims and type need " + expectedBytes);
    }
    return new Region(file, ref.offset(), length);
  }

  /** Maps a checked region read-only (regions up to 2 GB - 1). */
  public ByteBuffer map(Region region) throws IOException {
    if (region.length() > Integer.MAX_VALUE) {
      throw new IOException("tensor data of " + region.length() + " bytes is too large to map at once");
    }
    return channel(region.file()).map(FileChannel.MapMode.READ_ONLY, region.offset(), region.length());
  }

  /** Copies a checked region to {@code out} in bounded chunks, without holding it in memory. */
  public void copy(Region region, WritableByteChannel out) throws IOException {
    FileChannel in = channel(region.file());
    long position = region.offset();
    long remaining = region.length();
    while (remaining > 0) {
      long n = in.transferTo(position, Math.min(remaining, 64L << 20), out);
      if (n <= 0) {
        throw new IOException("external data file " + region.file() + " ended early while copying");
      }
      position += n;
      remaining -= n;
    }
  }

  private FileChannel channel(Path real) throws IOException {
    FileChannel ch = channels.get(real);
    if (ch == null) {
      ch = FileChannel.open(real, StandardOpenOption.READ);
      channels.put(real, ch);
      filesUsed.add(real);
    }
    return ch;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (FileChannel ch : channels.values()) {
      try {
        ch.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    channels.clear();
    if (first != null) {
      throw first;
    }
  }

  /** A checked byte range of a data file. */
  public record Region(Path file, long offset, long length) { }
}
