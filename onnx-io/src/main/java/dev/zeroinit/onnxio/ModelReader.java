package dev.zeroinit.onnxio;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.external.ExternalDataStore;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads an ONNX model file. The file is memory-mapped; large initializer data is left in the file and
 * referenced (see {@link InlineDataIndex}), so reading costs memory for the graph, not the weights.
 * External data is checked (location confined to the model's folder, region inside its file, length
 * matching the tensor) but not read.
 */
public final class ModelReader {
  /** Protobuf cannot address more; ONNX files above it must use external data. */
  public static final long PROTOBUF_LIMIT = Integer.MAX_VALUE;
  private static final int RECURSION_LIMIT = 256;
  /** Initializers with at least this many bytes of raw_data are read lazily (see InlineDataIndex). */
  private static final long LAZY_THRESHOLD = 4096;

  private ModelReader() { }

  /** Reads, parses and checks {@code path}; problems with the content are InvalidModelExceptions. */
  public static OnnxModel read(Path path) throws InvalidModelException, IOException {
    Path file = path.toAbsolutePath().normalize();
    if (Files.isDirectory(file)) {
      throw new InvalidModelException(path, "is a folder, not an ONNX model file");
    }
    if (!Files.exists(file)) {
      throw new InvalidModelException(path, "no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidModelException(path, "is not a regular file (a device or pipe?)");
    }
    ModelProto proto;
    long size;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      if (size == 0) {
        throw new InvalidModelException(path, "is empty (0 bytes), not an ONNX model");
      }
      if (size > PROTOBUF_LIMIT) {
        throw new InvalidModelException(path, "is " + size + " bytes; a protobuf ONNX file cannot "
            + "exceed 2 GB (larger models keep their weights in external data)");
      }
      MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      byte[] stripped = InlineDataIndex.strip(mapped, file.getFileName().toString(), LAZY_THRESHOLD);
      proto = parse(path, stripped != null ? java.nio.ByteBuffer.wrap(stripped) : mapped);
    } catch (AccessDeniedException e) {
      throw new InvalidModelException(path, "cannot be read (permission denied)");
    } catch (NoSuchFileException e) {
      throw new InvalidModelException(path, "no such file");
    }
    if (!proto.hasGraph()) {
      throw new InvalidModelException(path, "is not an ONNX model: it has no graph"
          + (proto.getIrVersion() == 0 ? " and no ir_version" : ""));
    }
    try {
      TensorChecks.check(proto);
    } catch (InvalidModelException e) {
      throw e.inFile(path);
    }
    ExternalDataStore store = new ExternalDataStore(file.getParent());
    try {
      Map<TensorSite, ExternalDataStore.Region> regions = checkExternalData(proto, store);
      GraphChecks.check(proto);
      return new OnnxModel(file, size, proto, store, regions);
    } catch (InvalidModelException e) {
      store.close();
      throw e.inFile(path);
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** Parses a model from bytes already in memory (tests, in-memory models). */
  public static ModelProto parse(Path nameForErrors, java.nio.ByteBuffer bytes)
      throws InvalidModelException {
    try {
      // A wrapped buffer yields an input that knows the bytes are immutable, so with aliasing on the
      // parsed tensors point into the mapping instead of copying it (the plain ByteBuffer factory
      // copies every bytes field).
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      in.setRecursionLimit(RECURSION_LIMIT);
      return ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidModelException(nameForErrors,
          "is not a valid ONNX model (protobuf: " + firstLine(e.getMessage()) + ")");
    } catch (IOException e) {
      throw new InvalidModelException(nameForErrors, "cannot be parsed: " + firstLine(e.getMessage()));
    }
  }

  private static Map<TensorSite, ExternalDataStore.Region> checkExternalData(ModelProto proto,
      ExternalDataStore store) throws InvalidModelException, IOException {
    Map<TensorSite, ExternalDataStore.Region> regions = new LinkedHashMap<>();
    try {
      TensorWalker.visit(proto, (site, t) -> {
        if (ExternalDataRef.isExternal(t)) {
          ExternalDataRef ref = ExternalDataRef.of(t);
          DataType type = DataType.fromCode(t.getDataType());
          long expected;
          try {
            expected = type.bitsPerElement() == 0 ? -1
                : DataType.rawByteLength(type, TensorCodec.elementCount(t));
          } catch (ArithmeticException e) {
            throw new InvalidModelException("tensor '" + t.getName() + "': its dims describe more "
                + "bytes than a file can hold");
          }
          if (regions.put(site, store.region(t.getName(), ref, expected)) != null) {
            // one region per site: a second tensor there would be read and written with the other's data
            throw new InvalidModelException(site.describe() + " holds more than one external tensor "
                + "(a repeated initializer name, or several parts of one sparse tensor or attribute); "
                + "their external data cannot be told apart");
          }
        }
      });
    } catch (InvalidModelException | IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return regions;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
