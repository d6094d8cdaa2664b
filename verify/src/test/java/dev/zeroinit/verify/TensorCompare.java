package dev.zeroinit.verify;

import dev.zeroinit.onnxio.tensor.DataType;
import java.util.Arrays;

/** Compares an actual tensor with an expected one: floats within tolerance, everything else exactly. */
final class TensorCompare {
  private TensorCompare() { }

  /** Null when {@code actual} matches {@code expected}, else what differs (first offending element). */
  static String mismatch(HostTensor expected, HostTensor actual, double rtol, double atol) {
    if (expected.type() != actual.type()) {
      return "type " + actual.type() + ", expected " + expected.type();
    }
    if (!Arrays.equals(expected.shape(), actual.shape())) {
      return "shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape());
    }
    int n = expected.elementCount();
    DataType type = expected.type();
    if (type == DataType.STRING) {
      String[] e = expected.stringValues();
      String[] a = actual.stringValues();
      for (int i = 0; i < n; i++) {
        if (!e[i].equals(a[i])) {
          return "[" + i + "] '" + a[i] + "', expected '" + e[i] + "'";
        }
      }
      return null;
    }
    if (type.isZeroInitFloat()) {
      int bad = 0;
      String first = null;
      for (int i = 0; i < n; i++) {
        double e = expected.getDouble(i);
        double a = actual.getDouble(i);
        if (!close(e, a, rtol, atol)) {
          if (first == null) {
            first = "[" + i + "] " + a + ", expected " + e;
          }
          bad++;
        }
      }
      return first == null ? null : bad + " of " + n + " values differ, first " + first;
    }
    if (type == DataType.BOOL || type.isInteger()) {
      for (int i = 0; i < n; i++) {
        if (expected.getLong(i) != actual.getLong(i)) {
          return "[" + i + "] " + actual.getLong(i) + ", expected " + expected.getLong(i);
        }
      }
      return null;
    }
    // complex and 8-bit float types: bit-exact
    return expected.data().equals(actual.data()) ? null : "bytes differ";
  }

  static boolean close(double e, double a, double rtol, double atol) {
    if (Double.isNaN(e) || Double.isNaN(a)) {
      return Double.isNaN(e) && Double.isNaN(a);
    }
    if (Double.isInfinite(e) || Double.isInfinite(a)) {
      return e == a;
    }
    return Math.abs(a - e) <= atol + rtol * Math.abs(e);
  }
}
