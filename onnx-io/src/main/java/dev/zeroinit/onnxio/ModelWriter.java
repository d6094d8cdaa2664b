package dev.zeroinit.onnxio;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model atomically: every file (the model and its external data files) is written to a
 * temp file in the target folder and renamed into place only when all are complete, data files
 * first, so the target never holds a partial file and never points at missing data. On failure the
 * temp files are removed and existing files are untouched.
 *
 * <p>Tensors may come in four forms: inline ({@code raw_data} or typed fields), external and still
 * in the source model's files (copied in bounded chunks, never loaded whole), <em>pending
 * external</em>: marked EXTERNAL with a location and carrying new bytes in {@code raw_data} (see
 * {@link #pendingExternal}), or <em>deferred</em>: pending external whose bytes are made only when
 * the writer places them (see {@link DeferredContent}); the layout decides where each ends up. Memory
 * stays bounded by the largest single tensor made or inlined: source data is copied in chunks,
 * heap bytes are written in 1 MB slices, untouched source bytes put inline are wrapped, not copied.
 */
public final class ModelWriter {
  /** Leave room under the protobuf limit for everything that is not tensor data. */
  private static final long INLINE_LIMIT = ModelReader.PROTOBUF_LIMIT - (64L << 20);
  private static final long ALIGN_FROM = 1L << 20;
  private static final int ALIGNMENT = 4096;

  private final OnnxModel source;
  private final Path target;
  private final WriteOptions options;
  private final DeferredContent deferred;
  private final Set<Path> sourceFiles = new HashSet<>();
  private final List<String> notes = new ArrayList<>();
  /** The distinct external data locations of the model being written. */
  private final Set<String> keptLocations = new java.util.LinkedHashSet<>();

  private ModelWriter(OnnxModel source, Path target, WriteOptions options, DeferredContent deferred)
      throws IOException {
    this.source = source;
    this.target = target.toAbsolutePath().normalize();
    this.options = options;
    this.deferred = deferred;
    if (source != null && source.file() != null) {
      sourceFiles.add(real(source.file()));
      for (ExternalDataStore.Region r : source.externalRegions().values()) {
        sourceFiles.add(r.file());
      }
    }
  }

  /**
   * Gives an external tensor (or one the reader left in the model file) new content; the writer
   * places it according to the layout (KEEP puts it back where the input had it).
   */
  public static TensorProto pendingExternal(TensorProto original, ByteString bytes)
      throws InvalidModelException {
    return pendingExternal(original, ExternalDataRef.of(original).location(), bytes);
  }

  /** As {@link #pendingExternal(TensorProto, ByteString)}, at an explicit location. */
  public static TensorProto pendingExternal(TensorProto original, String location, ByteString bytes) {
    TensorProto.Builder b =
        original.toBuilder().clearExternalData().addExternalData(entry("location", location));
    for (StringStringEntryProto e : original.getExternalDataList()) {
      if (e.getKey().equals(InlineDataIndex.MARKER_KEY)) {
        b.addExternalData(e);
      }
    }
    return b.setDataLocation(TensorProto.DataLocation.EXTERNAL).setRawData(bytes).build();
  }

  /**
   * Writes {@code model} to {@code target}. {@code source} is the model it was derived from (whose
   * external data files untouched tensors still point into, and which must not be overwritten unless
   * in place); null for a model built in memory.
   */
  public static WriteResult write(OnnxModel source, ModelProto model, Path target, WriteOptions options)
      throws IOException, WriteRefusedException, InvalidModelException {
    return new ModelWriter(source, target, options, null).run(model);
  }

  /**
   * As {@link #write(OnnxModel, ModelProto, Path, WriteOptions)}, for a model whose deferred tensors
   * and metadata (see {@link DeferredContent}) are in {@code deferred}: each deferred tensor's bytes
   * are made when it is placed and dropped once written.
   */
  public static WriteResult write(OnnxModel source, ModelProto model, Path target, WriteOptions options,
      DeferredContent deferred) throws IOException, WriteRefusedException, InvalidModelException {
    return new ModelWriter(source, target, options, deferred).run(model);
  }

  private WriteResult run(ModelProto model)
      throws IOException, WriteRefusedException, InvalidModelException {
    Path folder = target.getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw new java.nio.file.NoSuchFileException(String.valueOf(folder), null,
          "the output folder does not exist");
    }
    checkTarget(target, "output");
    try {
      TensorWalker.visit(model, (site, t) -> {
        if (ExternalDataRef.isExternal(t) && !InlineDataIndex.isMarked(t)) {
          keptLocations.add(ExternalDataRef.of(t).location());
        }
      });
    } catch (InvalidModelException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    ExternalDataLayout layout = options.layout();
    Placement dry = place(model, layout, null);
    if (dry.inlineBytes > INLINE_LIMIT) {
      if (layout == ExternalDataLayout.INLINE) {
        throw new WriteRefusedException("the model holds " + dry.inlineBytes + " bytes of tensor data, "
            + "more than one ONNX file can (2 GB); use --external-data single");
      }
      notes.add("the result is larger than 2 GB inline; its tensors were written as external data ("
          + "one file) instead of the " + layout.name().toLowerCase() + " layout");
      layout = ExternalDataLayout.SINGLE;
      dry = place(model, layout, null);
    }
    for (Path dataFile : dry.files.keySet()) {
      checkTarget(dataFile, "external data file");
    }
    Map<Path, Path> temps = new LinkedHashMap<>();
    Map<Path, FileChannel> channels = new LinkedHashMap<>();
    Path modelTmp = null;
    boolean done = false;
    try {
      for (Path dataFile : dry.files.keySet()) {
        Files.createDirectories(dataFile.getParent());
        Path tmp = TempFiles.beside(dataFile);
        temps.put(dataFile, tmp);
        channels.put(dataFile, FileChannel.open(tmp, StandardOpenOption.WRITE));
      }
      Placement real = place(model, layout, channels);
      modelTmp = TempFiles.beside(target);
      long modelBytes;
      ModelProto finalModel = withDeferredMetadata(real.model);
      try (FileChannel out = FileChannel.open(modelTmp, StandardOpenOption.WRITE)) {
        OutputStream os = new ChunkedOutput(out);
        CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 20);
        finalModel.writeTo(cos);
        cos.flush();
        modelBytes = out.position();
        if (options.durable()) {
          out.force(true);
        }
      }
      long dataBytes = 0;
      for (FileChannel ch : channels.values()) {
        dataBytes += ch.position();
        if (options.durable()) {
          ch.force(true);
        }
        ch.close();
      }
      for (Map.Entry<Path, Path> e : temps.entrySet()) {
        Files.move(e.getValue(), e.getKey(), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        TempFiles.released(e.getValue());
      }
      Files.move(modelTmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      TempFiles.released(modelTmp);
      done = true;
      return new WriteResult(target, List.copyOf(temps.keySet()), modelBytes + dataBytes, layout,
          List.copyOf(notes));
    } catch (IOException e) {
      throw named(e);
    } finally {
      if (!done) {
        for (FileChannel ch : channels.values()) {
          try {
            ch.close();
          } catch (IOException ignored) {
            // cleanup continues
          }
        }
        for (Path tmp : temps.values()) {
          TempFiles.discard(tmp);
        }
        if (modelTmp != null) {
          TempFiles.discard(modelTmp);
        }
      }
    }
  }

  /** A write error (disk full, ...) as one line that names the output; temp files go in finally. */
  private IOException named(IOException e) {
    if (e instanceof java.nio.file.FileSystemException) {
      return e;
    }
    IOException named = new java.nio.file.FileSystemException(target.toString(), null,
        "writing failed: " + e.getMessage() + "; no partial file was left");
    named.initCause(e);
    return named;
  }

  private void checkTarget(Path path, String what) throws WriteRefusedException, IOException {
    boolean exists = Files.exists(path);
    if (exists && Files.isDirectory(path)) {
      throw new WriteRefusedException("the " + what + " " + path + " is a folder");
    }
    if (exists && !Files.isRegularFile(path)) {
      // renaming over it would replace a device or pipe (as root: -o /dev/null --force deleted /dev/null)
      throw new WriteRefusedException("the " + what + " " + path
          + " is not a regular file (a device or pipe?); write to a file");
    }
    if (exists && sourceFiles.contains(real(path)) && !options.inPlace()) {
      throw new WriteRefusedException("the " + what + " " + path
          + " is the input or one of its data files; use --in-place to replace the input");
    }
    if (exists && !options.overwrite() && !options.inPlace()) {
      throw new WriteRefusedException("the " + what + " " + path + " exists; use --force to replace it");
    }
  }

  /** The outcome of deciding (and, with channels, writing) where every tensor goes. */
  private static final class Placement {
    ModelProto model;
    long inlineBytes;
    final Map<Path, String> files = new LinkedHashMap<>();
  }

  private Placement place(ModelProto model, ExternalDataLayout layout, Map<Path, FileChannel> channels)
      throws IOException, InvalidModelException {
    Placement p = new Placement();
    Map<String, Path> locationFiles = new LinkedHashMap<>();
    try {
      p.model = TensorWalker.transform(model, (site, t) -> {
        boolean external = ExternalDataRef.isExternal(t);
        DeferredContent.TensorContent content = external && DeferredContent.isMarked(t)
            ? deferredContent(site) : null;
        boolean pending = external && (t.hasRawData() || content != null);
        long bytes = content != null ? content.length()
            : external && !pending ? sourceRegion(site).length() : t.getRawData().size();
        boolean hasRaw = external || t.hasRawData();
        String destination = null;
        if (hasRaw) {
          switch (layout) {
            case INLINE -> destination = null;
            case SINGLE -> destination = bytes >= options.externalThreshold()
                ? target.getFileName() + ".data" : null;
            case KEEP -> destination = external && !InlineDataIndex.isMarked(t)
                ? keptLocation(ExternalDataRef.of(t).location()) : null;
            default -> throw new IllegalStateException(layout.name());
          }
        }
        if (destination == null) {
          p.inlineBytes += hasRaw ? bytes : t.getSerializedSize();
          return external && channels != null ? inline(t, site, pending, content) : t;
        }
        Path file = locationFiles.get(destination);
        if (file == null) {
          file = dataFileFor(destination, channels != null);
          locationFiles.put(destination, file);
          p.files.put(file, target.getParent().relativize(file).toString().replace('\\', '/'));
        }
        if (channels == null) {
          return t;
        }
        return writeExternal(t, site, external && !pending, content, channels.get(file),
            p.files.get(file));
      });
    } catch (IOException | InvalidModelException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return p;
  }

  /**
   * Where KEEP puts the data of an input data file. In place: the same file. Otherwise the name
   * follows the output, so two outputs in one folder never share (and overwrite) a data file:
   * {@code OUT.data} when the input had one data file, {@code OUT.<its name>} for each of several.
   */
  private String keptLocation(String location) {
    if (options.inPlace()) {
      return location;
    }
    String out = target.getFileName().toString();
    return keptLocations.size() <= 1 ? out + ".data"
        : out + "." + location.replace('/', '_').replace('\\', '_');
  }

  /**
   * The output file for a location; renamed when it would replace one of the input's files. The
   * rename is noted only when {@code note} is set (the writing pass), so the dry passes that decide
   * the layout do not repeat the note, nor leave one for a layout that was not used.
   */
  private Path dataFileFor(String location, boolean note) throws IOException {
    Path preferred = target.getParent().resolve(location).normalize();
    if (!preferred.startsWith(target.getParent())) {
      preferred = target.getParent().resolve(Path.of(location).getFileName().toString());
    }
    if (options.inPlace() || !sourceFiles.contains(real(preferred))) {
      return preferred;
    }
    String base = target.getFileName() + "." + location.replace('/', '_').replace('\\', '_');
    Path candidate = target.getParent().resolve(base);
    for (int i = 1; sourceFiles.contains(real(candidate)); i++) {
      candidate = target.getParent().resolve(base + "." + i);
    }
    if (note) {
      notes.add("external data '" + location + "' written as '" + candidate.getFileName()
          + "' so the input's file is not replaced");
    }
    return candidate;
  }

  private ExternalDataStore.Region sourceRegion(TensorSite site) throws IOException {
    ExternalDataStore.Region r = source == null ? null : source.dataRegion(site);
    if (r == null) {
      throw new IOException("external data of " + site.describe() + " has no checked source region");
    }
    return r;
  }

  private DeferredContent.TensorContent deferredContent(TensorSite site) throws IOException {
    DeferredContent.TensorContent c = deferred == null ? null : deferred.content(site);
    if (c == null) {
      throw new IOException(site.describe() + " is marked deferred but no content was given for it");
    }
    return c;
  }

  /**
   * The tensor with its bytes inline. Untouched bytes of the source are wrapped, not copied: the
   * mapping stays valid while the source model is open, which it is until the write is done.
   */
  private TensorProto inline(TensorProto t, TensorSite site, boolean pending,
      DeferredContent.TensorContent content) throws IOException {
    ByteString bytes = content != null ? content.bytes() : pending ? t.getRawData()
        : UnsafeByteOperations.unsafeWrap(source.externalData().map(sourceRegion(site)));
    if (content != null && bytes.size() != content.length()) {
      throw new IOException("deferred content of " + site.describe() + " has " + bytes.size()
          + " bytes, not the " + content.length() + " it announced");
    }
    return t.toBuilder().clearExternalData().clearDataLocation().setRawData(bytes).build();
  }

  private TensorProto writeExternal(TensorProto t, TensorSite site, boolean fromSource,
      DeferredContent.TensorContent content, FileChannel out, String location) throws IOException {
    if (fromSource) {
      ExternalDataStore.Region r = sourceRegion(site);
      pad(out, r.length());
      long offset = out.position();
      source.externalData().copy(r, out);
      return externalTensor(t, location, offset, r.length());
    }
    if (content != null) {
      long length = content.length();
      pad(out, length);
      long offset = out.position();
      content.writeTo(out);
      if (out.position() - offset != length) {
        throw new IOException("deferred content of " + site.describe() + " wrote "
            + (out.position() - offset) + " bytes, not the " + length + " it announced");
      }
      return externalTensor(t, location, offset, length);
    }
    ByteString bytes = t.getRawData();
    pad(out, bytes.size());
    long offset = out.position();
    DeferredContent.writeFully(bytes, out);
    return externalTensor(t, location, offset, bytes.size());
  }

  /** The model with the deferred metadata entries resolved (replacing entries with their keys). */
  private ModelProto withDeferredMetadata(ModelProto model) throws IOException {
    if (deferred == null || deferred.metadata().isEmpty()) {
      return model;
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, java.util.concurrent.Callable<String>> e : deferred.metadata().entrySet()) {
      try {
        values.put(e.getKey(), e.getValue().call());
      } catch (IOException | RuntimeException ex) {
        throw ex;
      } catch (Exception ex) {
        throw new IOException("metadata '" + e.getKey() + "' could not be computed: " + ex, ex);
      }
    }
    ModelProto.Builder b = model.toBuilder().clearMetadataProps();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (!values.containsKey(e.getKey())) {
        b.addMetadataProps(e);
      }
    }
    values.forEach((k, v) -> b.addMetadataProps(entry(k, v)));
    return b.build();
  }

  /**
   * An output stream onto a channel that hands large arrays over in 1 MB slices (see
   * {@link DeferredContent#writeFully(ByteBuffer, java.nio.channels.WritableByteChannel)}).
   */
  private static final class ChunkedOutput extends OutputStream {
    private final FileChannel out;

    ChunkedOutput(FileChannel out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      DeferredContent.writeFully(ByteBuffer.wrap(b, off, len), out);
    }
  }

  private static void pad(FileChannel out, long nextLength) throws IOException {
    long pos = out.position();
    if (nextLength >= ALIGN_FROM && pos % ALIGNMENT != 0) {
      ByteBuffer zeros = ByteBuffer.allocate((int) (ALIGNMENT - pos % ALIGNMENT));
      while (zeros.hasRemaining()) {
        out.write(zeros);
      }
    }
  }

  private static TensorProto externalTensor(TensorProto t, String location, long offset, long length) {
    return t.toBuilder()
        .clearRawData()
        .clearExternalData()
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Long.toString(length)))
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .build();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static Path real(Path p) throws IOException {
    return Files.exists(p) ? p.toRealPath() : p.toAbsolutePath().normalize();
  }
}
