package dev.zeroinit.onnxio.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Raw little-endian tensor bytes for mostly-zero tensors, without allocating the zeros. An identity
 * kernel of a 512-channel 3x3 convolution is 9.4 MB of which 2 kB are not zero; this builds it as a
 * rope of slices of one shared block of zeros and small pieces holding the non-zero values, which
 * protobuf writes out like any other bytes. Dense tensors (Hadamard blocks) get an ordinary array.
 * Same bytes as {@link TensorCodec#encodeRaw}, far less memory.
 */
public final class SparseByteString {
  private static final int ZERO_BLOCK = 1 << 20;
  private static final ByteString ZEROS = UnsafeByteOperations.unsafeWrap(new byte[ZERO_BLOCK]);
  /** Gaps of zeros shorter than this are written into the neighbouring value piece. */
  private static final int MIN_GAP = 256;
  /** Above this share of non-zeros the dense encoder is used. */
  private static final int DENSE_DIVISOR = 16;
  private static final int MAX_PALETTE = 255;
  private static final int PALETTE_BITS = 8;

  private SparseByteString() { }

  /** The raw bytes of {@code values} as {@code type} (FLOAT, FLOAT16, BFLOAT16 or DOUBLE). */
  public static ByteString encode(DataType type, long elementCount, SparseValues values) {
    int width = type.bitsPerElement() / 8;
    Collected c = collect(elementCount, values);
    if (c == null) {
      return UnsafeByteOperations.unsafeWrap(TensorCodec.encodeRaw(type, elementCount, values));
    }
    long totalBytes = elementCount * width;
    long[] keys = Arrays.copyOf(c.keys, c.size);
    Arrays.sort(keys);
    List<ByteString> pieces = new ArrayList<>();
    long cursor = 0; // byte offset written so far
    int i = 0;
    while (i < keys.length) {
      long start = (keys[i] >>> PALETTE_BITS) * width;
      // extend the piece while the next value is close enough
      int j = i;
      while (j + 1 < keys.length && (keys[j + 1] >>> PALETTE_BITS) * width - ((keys[j] >>> PALETTE_BITS) + 1) * width < MIN_GAP) {
        j++;
      }
      long end = ((keys[j] >>> PALETTE_BITS) + 1) * width;
      addZeros(pieces, start - cursor);
      byte[] piece = new byte[(int) (end - start)];
      for (int k = i; k <= j; k++) {
        long index = keys[k] >>> PALETTE_BITS;
        double v = c.palette[(int) (keys[k] & ((1 << PALETTE_BITS) - 1))];
        TensorCodec.putLittleEndian(piece, (int) (index * width - start), type, v);
      }
      pieces.add(UnsafeByteOperations.unsafeWrap(piece));
      cursor = end;
      i = j + 1;
    }
    addZeros(pieces, totalBytes - cursor);
    return balancedConcat(pieces, 0, pieces.size());
  }

  private static void addZeros(List<ByteString> pieces, long n) {
    while (n > 0) {
      int part = (int) Math.min(n, ZERO_BLOCK);
      pieces.add(part == ZERO_BLOCK ? ZEROS : ZEROS.substring(0, part));
      n -= part;
    }
  }

  private static ByteString balancedConcat(List<ByteString> pieces, int from, int to) {
    if (to - from == 0) {
      return ByteString.EMPTY;
    }
    if (to - from == 1) {
      return pieces.get(from);
    }
    int mid = (from + to) >>> 1;
    return balancedConcat(pieces, from, mid).concat(balancedConcat(pieces, mid, to));
  }

  /** Non-zero entries as sorted-able keys (index << 8 | palette slot); null when dense or varied. */
  private static Collected collect(long elementCount, SparseValues values) {
    long limit = elementCount / DENSE_DIVISOR;
    Collected c = new Collected();
    try {
      values.forEachNonZero((index, value) -> {
        if (index < 0 || index >= elementCount) {
          throw new IllegalArgumentException("entry index " + index + " outside a tensor of "
              + elementCount + " elements");
        }
        if (c.size >= limit) {
          throw Dense.INSTANCE;
        }
        c.add(index, c.slot(value));
      });
    } catch (Dense d) {
      return null;
    }
    return c;
  }

  /** Thrown (without a stack trace) to stop collecting once a tensor turns out dense. */
  private static final class Dense extends RuntimeException {
    static final Dense INSTANCE = new Dense();

    private Dense() {
      super(null, null, false, false);
    }
  }

  private static final class Collected {
    long[] keys = new long[64];
    int size;
    final double[] palette = new double[MAX_PALETTE];
    int paletteSize;

    int slot(double v) {
      long bits = Double.doubleToRawLongBits(v);
      for (int i = 0; i < paletteSize; i++) {
        if (Double.doubleToRawLongBits(palette[i]) == bits) {
          return i;
        }
      }
      if (paletteSize == MAX_PALETTE) {
        throw Dense.INSTANCE;
      }
      palette[paletteSize] = v;
      return paletteSize++;
    }

    void add(long index, int slot) {
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, keys.length * 2);
      }
      keys[size++] = index << PALETTE_BITS | slot;
    }
  }
}
