package dev.zeroinit.onnxio.tensor;

/**
 * Where a TensorProto keeps its values: {@code raw_data} (or external data, which holds the same
 * bytes), or the typed repeated field ONNX assigns to its type. A rewrite keeps a tensor's storage.
 */
public enum TensorStorage {
  RAW_DATA,
  TYPED_FIELDS
}
