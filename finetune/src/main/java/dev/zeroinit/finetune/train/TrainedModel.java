package dev.zeroinit.finetune.train;

import com.google.protobuf.ByteString;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The original forward model with trained values: every named main-graph initializer gets its new
 * bytes where it kept its values (inline as raw data; external data stays external, for
 * {@link ModelWriter} to place), nothing else of the graph changes, and metadata entries are set
 * (replacing earlier ones with the same keys).
 */
public final class TrainedModel {
  /** Metadata keys the trained model records (namespaced, as ONNX reserves unqualified keys). */
  public static final String META_OPTIONS = "dev.zeroinit.finetune.options";
  public static final String META_LOSS = "dev.zeroinit.finetune.loss";
  public static final String META_NORMALIZE = "dev.zeroinit.finetune.normalize";
  public static final String META_EPOCHS = "dev.zeroinit.finetune.epochs";
  public static final String META_DATA = "dev.zeroinit.finetune.data";
  public static final String META_TEST_LOSS = "dev.zeroinit.finetune.test-loss";
  public static final String META_TEST_ACCURACY = "dev.zeroinit.finetune.test-accuracy";

  private TrainedModel() {}

  /**
   * {@code model} with the initializers named in {@code values} replaced by those raw little-endian
   * bytes (which must have each tensor's own length) and {@code metadata} set.
   */
  public static Onnx.ModelProto apply(Onnx.ModelProto model, Map<String, ByteString> values,
      Map<String, String> metadata) throws InvalidModelException {
    Map<String, ByteString> left = new LinkedHashMap<>(values);
    Onnx.GraphProto.Builder g = model.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      Onnx.TensorProto t = g.getInitializer(i);
      ByteString v = left.remove(t.getName());
      if (v == null) {
        continue;
      }
      long expected = TensorData.byteLength(t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray());
      if (v.size() != expected) {
        throw new IllegalArgumentException("new value of '" + t.getName() + "' has " + v.size()
            + " bytes, the tensor " + expected);
      }
      if (ExternalDataRef.isExternal(t)) {
        g.setInitializer(i, ModelWriter.pendingExternal(t, v));
      } else {
        g.setInitializer(i, t.toBuilder().clearFloatData().clearDoubleData().clearInt32Data()
            .clearInt64Data().clearUint64Data().clearDataLocation().setRawData(v));
      }
    }
    if (!left.isEmpty()) {
      throw new IllegalArgumentException("no initializer named " + left.keySet());
    }
    Onnx.ModelProto.Builder m = model.toBuilder().setGraph(g);
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      boolean replaced = false;
      for (int i = 0; i < m.getMetadataPropsCount(); i++) {
        if (m.getMetadataProps(i).getKey().equals(e.getKey())) {
          m.setMetadataProps(i, Onnx.StringStringEntryProto.newBuilder().setKey(e.getKey())
              .setValue(e.getValue()));
          replaced = true;
        }
      }
      if (!replaced) {
        m.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(e.getKey())
            .setValue(e.getValue()));
      }
    }
    return m.build();
  }

  /** The model's metadata_props as a map (the last entry of a repeated key wins). */
  public static Map<String, String> metadata(Onnx.ModelProto model) {
    Map<String, String> m = new LinkedHashMap<>();
    model.getMetadataPropsList().forEach(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }
}
