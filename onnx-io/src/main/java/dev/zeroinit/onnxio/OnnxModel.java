package dev.zeroinit.onnxio;

import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model read from disk: its parsed {@link ModelProto} (tensor bytes alias the mapped file, nothing is
 * copied), the file it came from, and the store that reads its external data on demand. Close it to
 * release the external data files.
 */
public final class OnnxModel implements AutoCloseable {
  private final Path file;
  private final long fileSize;
  private final ModelProto proto;
  private final ExternalDataStore externalData;
  private final Map<TensorSite, ExternalDataStore.Region> regions;
  private final Path realFile;

  OnnxModel(Path file, long fileSize, ModelProto proto, ExternalDataStore externalData,
      Map<TensorSite, ExternalDataStore.Region> externalRegions) {
    this.file = file;
    this.fileSize = fileSize;
    this.proto = proto;
    this.externalData = externalData;
    this.regions = externalRegions;
    Path real = null;
    if (file != null) {
      try {
        real = file.toRealPath();
      } catch (IOException e) {
        real = file;
      }
    }
    this.realFile = real;
  }

  /** Reads and checks a model; see {@link ModelReader#read(Path)}. */
  public static OnnxModel read(Path file) throws InvalidModelException, IOException {
    return ModelReader.read(file);
  }

  /** Wraps a model built in memory (no file, no external data). */
  public static OnnxModel inMemory(ModelProto proto) {
    return new OnnxModel(null, proto.getSerializedSize(), proto,
        new ExternalDataStore(Path.of(".")), Map.of());
  }

  /**
   * The model with every tensor's data in the proto itself: tensors that {@link #proto()} keeps as
   * references into the model file are read back inline. Costs memory for all inline weights; use it
   * where a complete ModelProto is needed (for example to hand the model to a runtime as bytes).
   */
  public ModelProto materializedProto() throws IOException {
    try {
      return TensorWalker.transform(proto, (site, t) -> {
        if (!InlineDataIndex.isMarked(t)) {
          return t;
        }
        return t.toBuilder().clearExternalData().clearDataLocation()
            .setRawData(com.google.protobuf.ByteString.copyFrom(rawBytes(site, t))).build();
      });
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** True when the tensor's bytes are inline in the model file but read lazily (see {@link #proto()}). */
  public static boolean isInlineInFile(TensorProto t) {
    return InlineDataIndex.isMarked(t);
  }

  /** The model file, absolute; null for an in-memory model. */
  public Path file() {
    return file;
  }

  /** Size of the model file in bytes (without external data). */
  public long fileSize() {
    return fileSize;
  }

  /**
   * The parsed model. Large initializers that are inline in the file appear here as external data
   * referring to the model file itself, marked with {@code dev.zeroinit.inline}; read their values with
   * {@link #rawBytes}. The writer restores them, so they never show in an output.
   */
  public ModelProto proto() {
    return proto;
  }

  /** Reads this model's external data; the writer copies untouched tensors through it. */
  public ExternalDataStore externalData() {
    return externalData;
  }

  /**
   * The checked data regions of every tensor stored in an external data file, by site (not counting
   * the large inline tensors {@link #proto()} reads lazily from the model file itself).
   */
  public Map<TensorSite, ExternalDataStore.Region> externalRegions() {
    Map<TensorSite, ExternalDataStore.Region> external = new java.util.LinkedHashMap<>();
    regions.forEach((site, region) -> {
      if (file == null || !region.file().equals(realFile)) {
        external.put(site, region);
      }
    });
    return external;
  }

  /** The checked region of the tensor at {@code site} whose bytes are not in the proto, or null. */
  public ExternalDataStore.Region dataRegion(TensorSite site) {
    return regions.get(site);
  }

  /** Total bytes held in external data files. */
  public long externalBytes() {
    return externalRegions().values().stream().mapToLong(ExternalDataStore.Region::length).sum();
  }

  /**
   * The raw little-endian bytes of a tensor at {@code site}: its raw_data, or its mapped external
   * region; null when the values sit in typed fields.
   */
  public ByteBuffer rawBytes(TensorSite site, TensorProto tensor) throws IOException {
    if (ExternalDataRef.isExternal(tensor)) {
      ExternalDataStore.Region region = regions.get(site);
      if (region == null) {
        throw new IOException("no checked external data region for " + site.describe());
      }
      return externalData.map(region);
    }
    return tensor.hasRawData() ? tensor.getRawData().asReadOnlyByteBuffer() : null;
  }

  @Override
  public void close() throws IOException {
    externalData.close();
  }
}
