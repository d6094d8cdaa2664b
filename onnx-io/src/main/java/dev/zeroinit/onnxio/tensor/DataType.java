package dev.zeroinit.onnxio.tensor;

import dev.zeroinit.onnxio.InvalidModelException;

/**
 * Every element type an ONNX {@code TensorProto.data_type} can name, with its code and storage width.
 * The tool needs the full list to read any model (and report what it leaves alone), but rewrites only
 * the four float types for which {@link #isZeroInitFloat()} is true.
 */
public enum DataType {
  UNDEFINED(0, 0),
  FLOAT(1, 32),
  UINT8(2, 8),
  INT8(3, 8),
  UINT16(4, 16),
  INT16(5, 16),
  INT32(6, 32),
  INT64(7, 64),
  STRING(8, 0),
  BOOL(9, 8),
  FLOAT16(10, 16),
  DOUBLE(11, 64),
  UINT32(12, 32),
  UINT64(13, 64),
  COMPLEX64(14, 64),
  COMPLEX128(15, 128),
  BFLOAT16(16, 16),
  FLOAT8E4M3FN(17, 8),
  FLOAT8E4M3FNUZ(18, 8),
  FLOAT8E5M2(19, 8),
  FLOAT8E5M2FNUZ(20, 8),
  UINT4(21, 4),
  INT4(22, 4),
  FLOAT4E2M1(23, 4),
  FLOAT8E8M0(24, 8),
  UINT2(25, 2),
  INT2(26, 2);

  private static final DataType[] BY_CODE = values();

  private final int code;
  private final int bits;

  DataType(int code, int bits) {
    this.code = code;
    this.bits = bits;
  }

  /** The {@code TensorProto.DataType} number stored in {@code data_type}. */
  public int code() {
    return code;
  }

  /** The name ONNX gives this type, e.g. {@code "FLOAT16"}. */
  public String onnxName() {
    return name();
  }

  /** Bits one element takes in raw data; 0 for STRING and UNDEFINED, which have no fixed width. */
  public int bitsPerElement() {
    return bits;
  }

  /** True exactly for FLOAT, FLOAT16, BFLOAT16 and DOUBLE: the types whose weights ZerO rewrites. */
  public boolean isZeroInitFloat() {
    return this == FLOAT || this == FLOAT16 || this == BFLOAT16 || this == DOUBLE;
  }

  /** True for the signed and unsigned integer types of every width (not BOOL). */
  public boolean isInteger() {
    switch (this) {
      case UINT8: case INT8: case UINT16: case INT16: case INT32: case INT64:
      case UINT32: case UINT64: case UINT4: case INT4: case UINT2: case INT2:
        return true;
      default:
        return false;
    }
  }

  /** The type with this code; an unknown code is an invalid model ("unknown tensor data type N"). */
  public static DataType fromCode(int code) throws InvalidModelException {
    if (code < 0 || code >= BY_CODE.length) {
      throw new InvalidModelException("unknown tensor data type " + code);
    }
    return BY_CODE[code];
  }

  /**
   * Bytes that {@code elementCount} elements of {@code type} take in raw data; sub-byte types are
   * packed and the last byte is rounded up.
   *
   * @throws IllegalArgumentException for a negative count, or STRING / UNDEFINED (no raw form)
   * @throws ArithmeticException when the length does not fit in a long
   */
  public static long rawByteLength(DataType type, long elementCount) {
    if (elementCount < 0) {
      throw new IllegalArgumentException("negative element count " + elementCount);
    }
    int bits = type.bits;
    if (bits == 0) {
      throw new IllegalArgumentException(type + " has no fixed-width raw form");
    }
    if (bits >= 8) {
      return Math.multiplyExact(elementCount, bits / 8);
    }
    int perByte = 8 / bits;
    return elementCount / perByte + (elementCount % perByte == 0 ? 0 : 1);
  }
}
