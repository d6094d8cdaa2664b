package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;

/**
 * The element type and dims of one value as far as they are known.
 *
 * @param elemType ONNX element type code, 0 when not known
 * @param dims dims (see {@link Dims}); null when the rank is not known
 */
record TensorInfo(int elemType, long[] dims) {
  static final TensorInfo UNKNOWN = new TensorInfo(0, null);

  int rank() {
    return dims == null ? -1 : dims.length;
  }

  boolean isFloat() {
    return isFloatType(elemType);
  }

  static boolean isFloatType(int t) {
    return t == DataType.FLOAT_VALUE || t == DataType.DOUBLE_VALUE || t == DataType.FLOAT16_VALUE
        || t == DataType.BFLOAT16_VALUE;
  }

  TensorInfo withDims(long[] d) {
    return new TensorInfo(elemType, d);
  }

  TensorInfo withType(int t) {
    return new TensorInfo(t, dims);
  }

  @Override
  public String toString() {
    return (elemType == 0 ? "?" : DataType.forNumber(elemType)) + Dims.toString(dims);
  }
}
