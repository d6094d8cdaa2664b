package dev.zeroinit.onnxio;

import dev.zeroinit.onnxio.external.ExternalDataRef;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;

/**
 * Checks every tensor of a model against its own declaration, without reading any values: a known
 * data type, dims that are not negative and whose product fits in 64 bits, and data of exactly the
 * size the dims and type need (raw_data bytes, or the count of the typed field ONNX assigns to the
 * type). External data is checked separately, against its file, by the reader. Sub-byte, 8-bit float
 * and chunked ({@code segment}) tensors in typed fields are not counted: their typed-field packing is
 * not something this tool reads or writes.
 */
final class TensorChecks {
  private TensorChecks() { }

  /** Throws for the first tensor whose declaration and data disagree. */
  static void check(ModelProto model) throws InvalidModelException {
    try {
      TensorWalker.visit(model, TensorChecks::check);
    } catch (InvalidModelException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void check(TensorSite site, TensorProto t) throws InvalidModelException {
    DataType type;
    try {
      type = DataType.fromCode(t.getDataType());
    } catch (InvalidModelException e) {
      throw new InvalidModelException(site.describe() + ": unknown tensor data type " + t.getDataType()
          + " (ONNX defines 1 to " + (DataType.values().length - 1) + ")");
    }
    long count;
    try {
      count = TensorCodec.elementCount(t);
    } catch (InvalidModelException e) {
      // negative dims, or a product beyond 64 bits
      throw t.getName().isEmpty() ? new InvalidModelException(site.describe() + ": " + e.getMessage()) : e;
    }
    if (ExternalDataRef.isExternal(t) || t.hasSegment()) {
      return;
    }
    if (type == DataType.UNDEFINED) {
      if (t.hasRawData() || count > 0) {
        throw new InvalidModelException(site.describe() + ": holds data but its data type is not set");
      }
      return;
    }
    if (t.hasRawData()) {
      if (type == DataType.STRING) {
        throw new InvalidModelException(site.describe()
            + ": a STRING tensor cannot hold raw_data (strings go in string_data)");
      }
      long need;
      try {
        need = DataType.rawByteLength(type, count);
      } catch (ArithmeticException e) {
        throw new InvalidModelException(site.describe() + ": dims " + t.getDimsList() + " of "
            + type.onnxName() + " describe more bytes than a file can hold");
      }
      long present = t.getRawData().size();
      if (present != need) {
        throw new InvalidModelException(site.describe() + ": raw_data has " + present + " bytes, dims "
            + t.getDimsList() + " of " + type.onnxName() + " need " + need);
      }
      return;
    }
    long present;
    String field;
    long perElement = 1;
    switch (type) {
      case FLOAT -> {
        present = t.getFloatDataCount();
        field = "float_data";
      }
      case COMPLEX64 -> {
        present = t.getFloatDataCount();
        field = "float_data";
        perElement = 2;
      }
      case DOUBLE -> {
        present = t.getDoubleDataCount();
        field = "double_data";
      }
      case COMPLEX128 -> {
        present = t.getDoubleDataCount();
        field = "double_data";
        perElement = 2;
      }
      case INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16 -> {
        present = t.getInt32DataCount();
        field = "int32_data";
      }
      case INT64 -> {
        present = t.getInt64DataCount();
        field = "int64_data";
      }
      case UINT32, UINT64 -> {
        present = t.getUint64DataCount();
        field = "uint64_data";
      }
      case STRING -> {
        present = t.getStringDataCount();
        field = "string_data";
      }
      default -> {
        return; // sub-byte and 8-bit float types: packing in typed fields not checked
      }
    }
    if (count > Long.MAX_VALUE / perElement || present != count * perElement) {
      throw new InvalidModelException(site.describe() + ": " + field + " has " + present
          + " values, dims " + t.getDimsList() + " of " + type.onnxName() + " need "
          + (count > Long.MAX_VALUE / perElement ? "more than " + Long.MAX_VALUE : count * perElement));
    }
  }
}
