package dev.zeroinit.init;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.DeferredContent;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.SparseByteString;
import dev.zeroinit.onnxio.tensor.SparseValues;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.onnxio.tensor.TensorStorage;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * Applies a {@link Plan}: every planned tensor gets its ZerO values, in its own data type and where it
 * kept its values (raw_data, typed fields, or external data, which the writer then places). Tensors
 * the plan skips, and everything that is not a tensor, stay as they were. Adds the given metadata
 * entries, replacing earlier ones with the same keys, so re-running on an output does not pile up.
 */
public final class Rewriter {
  private Rewriter() { }

  /** The rewritten model; the new bytes of every planned tensor are made here, in memory. */
  public static ModelProto apply(ModelProto model, Plan plan, Map<String, String> metadata)
      throws InvalidModelException {
    return apply(model, plan, metadata, null);
  }

  /**
   * The rewritten model, where the planned tensors stored outside the proto (external data, and the
   * large initializers the reader left in the model file) are registered with {@code deferred}
   * instead of encoded: their bytes are made when {@link ModelWriter} writes them, one at a time,
   * so memory stays at the largest single tensor. {@code deferred} null encodes them here.
   */
  public static ModelProto apply(ModelProto model, Plan plan, Map<String, String> metadata,
      DeferredContent deferred) throws InvalidModelException {
    Map<TensorSite, PlanEntry> bySite = new HashMap<>();
    for (PlanEntry e : plan.rewritten()) {
      bySite.put(e.site(), e);
    }
    ModelProto rewritten;
    try {
      rewritten = TensorWalker.transform(model, (site, t) -> {
        PlanEntry e = bySite.get(site);
        if (e == null) {
          return t;
        }
        if (deferred != null && ExternalDataRef.isExternal(t)) {
          return deferred.defer(site, t, new PlannedContent(t, e, plan.options()));
        }
        return rewrite(t, e, plan.options());
      });
    } catch (InvalidModelException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return withMetadata(rewritten, metadata);
  }

  /** The planned values of one tensor, in the stored tensor's index order. */
  public static SparseValues storedValues(PlanEntry e, PlanOptions options) {
    return e.chain().toStored(WeightValues.of(e.layout(), options, e.name()));
  }

  static TensorProto rewrite(TensorProto t, PlanEntry e, PlanOptions options)
      throws InvalidModelException {
    DataType type = DataType.fromCode(t.getDataType());
    long count = TensorCodec.elementCount(t);
    SparseValues values = storedValues(e, options);
    if (ExternalDataRef.isExternal(t)) {
      return ModelWriter.pendingExternal(t, SparseByteString.encode(type, count, values));
    }
    TensorStorage storage = TensorCodec.storageOf(t);
    if (storage == TensorStorage.RAW_DATA || count == 0) {
      return t.toBuilder().setRawData(SparseByteString.encode(type, count, values)).build();
    }
    TensorProto.Builder b = t.toBuilder();
    TensorCodec.encodeInto(b, type, count, values, TensorStorage.TYPED_FIELDS);
    return b.build();
  }

  /** The planned bytes of one tensor, encoded each time the writer asks and not kept. */
  private static final class PlannedContent implements DeferredContent.TensorContent {
    private final DataType type;
    private final long count;
    private final long length;
    private final PlanEntry entry;
    private final PlanOptions options;

    PlannedContent(TensorProto t, PlanEntry entry, PlanOptions options) throws InvalidModelException {
      this.type = DataType.fromCode(t.getDataType());
      this.count = TensorCodec.elementCount(t);
      this.length = DataType.rawByteLength(type, count);
      this.entry = entry;
      this.options = options;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public ByteString bytes() {
      return SparseByteString.encode(type, count, storedValues(entry, options));
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
      DeferredContent.writeFully(bytes(), out);
    }
  }

  private static ModelProto withMetadata(ModelProto model, Map<String, String> metadata) {
    if (metadata.isEmpty()) {
      return model;
    }
    ModelProto.Builder b = model.toBuilder();
    b.clearMetadataProps();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (!metadata.containsKey(e.getKey())) {
        b.addMetadataProps(e);
      }
    }
    metadata.forEach((k, v) -> b.addMetadataProps(
        StringStringEntryProto.newBuilder().setKey(k).setValue(v).build()));
    return b.build();
  }
}
