package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.Arrays;

/**
 * The sliding-window geometry of Conv and the pooling ops: explicit pads (auto_pad resolved), output
 * sizes, and the pads and output_padding of the ConvTranspose that scatters a window op's output
 * gradient back onto its input.
 */
final class Windows {
  private Windows() {}

  /**
   * One window op over {@code spatial} dims.
   *
   * @param kernel kernel size per dim
   * @param strides strides
   * @param dilations dilations
   * @param padBegin resolved leading pads
   * @param padEnd resolved trailing pads
   * @param in input spatial sizes (negative when unknown)
   * @param out output spatial sizes (negative when unknown)
   */
  record Window(long[] kernel, long[] strides, long[] dilations, long[] padBegin, long[] padEnd,
      long[] in, long[] out) {
    int spatial() {
      return kernel.length;
    }

    long[] pads() {
      return Dims.concat(padBegin, padEnd);
    }

    boolean isStatic() {
      return Dims.isStatic(in) && Dims.isStatic(out);
    }

    long effectiveKernel(int d) {
      return (kernel[d] - 1) * dilations[d] + 1;
    }

    boolean allStridesOne() {
      return Arrays.stream(strides).allMatch(s -> s == 1);
    }

    boolean noPadding() {
      return Arrays.stream(padBegin).allMatch(p -> p == 0) && Arrays.stream(padEnd).allMatch(p -> p == 0);
    }

    boolean unitKernel() {
      return Arrays.stream(kernel).allMatch(k -> k == 1);
    }
  }

  /** The pads and output_padding of a ConvTranspose that maps {@code out} back to {@code in}. */
  record Transposed(long[] pads, long[] outputPadding) {}

  /**
   * Resolves a window node's attributes against the input's spatial dims.
   *
   * @param kernel the kernel sizes (from kernel_shape or the weight)
   * @param ceil whether ceil_mode is set (pooling)
   */
  static Window resolve(Onnx.NodeProto node, long[] kernel, long[] inSpatial, boolean ceil) {
    int n = kernel.length;
    long[] strides = orOnes(NodeAttrs.ints(node, "strides"), n);
    long[] dilations = orOnes(NodeAttrs.ints(node, "dilations"), n);
    long[] pads = NodeAttrs.ints(node, "pads");
    String autoPad = NodeAttrs.s(node, "auto_pad", "NOTSET");
    long[] pb = new long[n];
    long[] pe = new long[n];
    long[] out = new long[n];
    long[] in = inSpatial == null ? filled(n, -1) : inSpatial;
    for (int d = 0; d < n; d++) {
      long eff = (kernel[d] - 1) * dilations[d] + 1;
      long size = in[d];
      switch (autoPad) {
        case "SAME_UPPER", "SAME_LOWER" -> {
          if (size < 0) {
            out[d] = -1;
            continue;
          }
          long o = ceilDiv(size, strides[d]);
          long total = Math.max(0, (o - 1) * strides[d] + eff - size);
          long small = total / 2;
          pb[d] = autoPad.equals("SAME_UPPER") ? small : total - small;
          pe[d] = total - pb[d];
          out[d] = o;
        }
        case "VALID" -> out[d] = size < 0 ? -1 : (size - eff) / strides[d] + 1;
        case "NOTSET", "" -> {
          if (pads != null && pads.length == 2 * n) {
            pb[d] = pads[d];
            pe[d] = pads[d + n];
          }
          if (size < 0) {
            out[d] = -1;
          } else {
            long span = size + pb[d] + pe[d] - eff;
            long o = ceil ? ceilDiv(span, strides[d]) + 1 : Math.floorDiv(span, strides[d]) + 1;
            if (ceil && (o - 1) * strides[d] >= size + pb[d]) {
              o--; // the last window would start in the trailing padding
            }
            out[d] = o;
          }
        }
        default -> throw new IllegalArgumentException("unknown auto_pad '" + autoPad + "'");
      }
    }
    return new Window(kernel, strides, dilations, pb, pe, in, out);
  }

  /**
   * ConvTranspose attributes that give back the input size: the window's pads with the trailing pad
   * adjusted (windows that end in the padding, or inputs past the last window) and a non-negative
   * output_padding.
   */
  static Transposed transposed(Window w) {
    int n = w.spatial();
    long[] pb = w.padBegin().clone();
    long[] pe = new long[n];
    long[] op = new long[n];
    for (int d = 0; d < n; d++) {
      long full = w.strides()[d] * (w.out()[d] - 1) + w.effectiveKernel(d);
      long extra = full - pb[d] - w.in()[d];
      if (extra >= 0) {
        pe[d] = extra;
      } else {
        op[d] = -extra;
      }
    }
    return new Transposed(Dims.concat(pb, pe), op);
  }

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private static long[] orOnes(long[] v, int n) {
    return v == null || v.length == 0 ? Dims.ones(n) : v;
  }

  private static long[] filled(int n, long v) {
    long[] a = new long[n];
    Arrays.fill(a, v);
    return a;
  }
}
