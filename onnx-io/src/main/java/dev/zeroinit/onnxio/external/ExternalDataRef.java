package dev.zeroinit.onnxio.external;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx.StringStringEntryProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;

/**
 * The {@code external_data} entries of one tensor: the file (a path relative to the model's folder),
 * the byte offset, and the length (-1 when absent: up to the end of the file).
 */
public record ExternalDataRef(String location, long offset, long length, String checksum) {

  /** True when the tensor's values live outside the model file. */
  public static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /** Reads the keys of an external tensor; a missing location or malformed number is invalid. */
  public static ExternalDataRef of(TensorProto t) throws InvalidModelException {
    String location = null;
    long offset = 0;
    long length = -1;
    String checksum = null;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = number(t, "offset", e.getValue());
        case "length" -> length = number(t, "length", e.getValue());
        case "checksum" -> checksum = e.getValue();
        default -> { } // unknown keys are kept by the writer and ignored here
      }
    }
    if (location == null || location.isEmpty()) {
      throw new InvalidModelException(
          "tensor '" + t.getName() + "' is marked EXTERNAL but has no external_data location");
    }
    return new ExternalDataRef(location, offset, length, checksum);
  }

  private static long number(TensorProto t, String key, String value) throws InvalidModelException {
    try {
      long v = Long.parseLong(value.trim());
      if (v < 0) {
        throw new NumberFormatException("negative");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InvalidModelException("tensor '" + t.getName() + "': external_data " + key + " '"
          + value + "' is not a non-negative integer");
    }
  }
}
