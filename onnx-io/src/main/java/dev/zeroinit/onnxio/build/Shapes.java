package dev.zeroinit.onnxio.build;

import java.util.Arrays;

/** Shape arithmetic for the layer helpers; a dim of -1 stands for a symbolic (unknown) size. */
final class Shapes {
  private Shapes() {}

  /** Output shape of a Conv or pooling window over [N, C, spatial...] (dilation 1, floor mode). */
  static long[] window(long[] in, long outChannels, int kernel, int stride, int pad) {
    if (in.length < 3) {
      throw new IllegalArgumentException(
          "expected [N, C, spatial...], got " + Arrays.toString(in));
    }
    long[] out = in.clone();
    out[1] = outChannels;
    for (int d = 2; d < in.length; d++) {
      if (in[d] < 0) {
        continue;
      }
      long span = in[d] + 2L * pad - kernel;
      if (span < 0) {
        throw new IllegalArgumentException("kernel " + kernel + " does not fit dim " + in[d]
            + " (pad " + pad + ") of " + Arrays.toString(in));
      }
      out[d] = span / stride + 1;
    }
    return out;
  }

  /** Numpy-style broadcast of two shapes. */
  static long[] broadcast(long[] a, long[] b) {
    int rank = Math.max(a.length, b.length);
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      long x = dimFromEnd(a, rank - 1 - i);
      long y = dimFromEnd(b, rank - 1 - i);
      long r;
      if (x == 1) {
        r = y;
      } else if (y == 1 || x == y) {
        r = x;
      } else if (x < 0) {
        r = y;
      } else if (y < 0) {
        r = x;
      } else {
        throw new IllegalArgumentException(
            "shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
      }
      out[i] = r;
    }
    return out;
  }

  /** Flatten at {@code axis}: [prod(in[:axis]), prod(in[axis:])], -1 when a factor is symbolic. */
  static long[] flatten(long[] in, int axis) {
    return new long[] {product(in, 0, axis), product(in, axis, in.length)};
  }

  private static long product(long[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (dims[i] < 0) {
        return -1;
      }
      p = Math.multiplyExact(p, dims[i]);
    }
    return p;
  }

  private static long dimFromEnd(long[] shape, int fromEnd) {
    int i = shape.length - 1 - fromEnd;
    return i >= 0 ? shape[i] : 1;
  }
}
