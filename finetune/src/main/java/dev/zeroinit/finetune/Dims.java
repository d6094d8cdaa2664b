package dev.zeroinit.finetune;

import java.util.Arrays;

/**
 * Shape arithmetic on {@code long[]} dims where a non-negative entry is a known size and a value at or
 * below {@link #SYMBOL_BASE} is a symbol: an unknown size that equals every other occurrence of the
 * same symbol (a {@code dim_param} such as "batch", or a size inferred but not computable). A null
 * array stands for an unknown rank. -1 never appears in dims (it is Reshape's "infer" marker).
 */
final class Dims {
  /** Symbols are this value and below. */
  static final long SYMBOL_BASE = -1_000_000_000L;

  private Dims() {}

  static boolean isSymbol(long d) {
    return d <= SYMBOL_BASE;
  }

  /** Whether every dim is known (and the rank is). */
  static boolean isStatic(long[] dims) {
    if (dims == null) {
      return false;
    }
    for (long d : dims) {
      if (d < 0) {
        return false;
      }
    }
    return true;
  }

  /** The product of dims[from, to), or -1 when a factor is not known. */
  static long product(long[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      if (dims[i] < 0) {
        return -1;
      }
      p = Math.multiplyExact(p, dims[i]);
    }
    return p;
  }

  static long product(long[] dims) {
    return product(dims, 0, dims.length);
  }

  /** Normalizes a possibly negative axis against a rank. */
  static int axis(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
    }
    return (int) a;
  }

  static long[] axes(long[] axes, int rank) {
    long[] out = new long[axes.length];
    for (int i = 0; i < axes.length; i++) {
      out[i] = axis(axes[i], rank);
    }
    Arrays.sort(out);
    return out;
  }

  static long[] range(int from, int to) {
    long[] out = new long[Math.max(0, to - from)];
    for (int i = 0; i < out.length; i++) {
      out[i] = from + i;
    }
    return out;
  }

  static long[] ones(int n) {
    long[] out = new long[n];
    Arrays.fill(out, 1);
    return out;
  }

  static long[] concat(long[] a, long... b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static long[] inversePermutation(long[] perm) {
    long[] inv = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      inv[(int) perm[i]] = i;
    }
    return inv;
  }

  static String toString(long[] dims) {
    if (dims == null) {
      return "[?]";
    }
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(isSymbol(dims[i]) ? "?" + (SYMBOL_BASE - dims[i]) : Long.toString(dims[i]));
    }
    return b.append(']').toString();
  }
}
