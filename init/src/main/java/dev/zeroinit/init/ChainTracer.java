package dev.zeroinit.init;

import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.NodeRef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * Follows a node input back to the constant it comes from, through Identity, Cast, Transpose,
 * Reshape, Flatten, Squeeze and Unsqueeze, and computes the shape at each step. Reshape and
 * Squeeze/Unsqueeze need their shape or axes as constants; anything computed at run time ends the
 * trace with a reason.
 */
final class ChainTracer {
  /** Ops a weight may pass through on its way to a consumer. */
  static final Set<String> PASS_THROUGH =
      Set.of("Identity", "Cast", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze");
  private static final int MAX_STEPS = 64;

  private ChainTracer() { }

  /** The chain ending at {@code name} in {@code graph}; null when no constant is behind it. */
  static ValueChain trace(GraphIndex graph, String name) throws TraceException {
    List<NodeRef> path = new ArrayList<>();
    GraphIndex g = graph;
    String value = name;
    for (int i = 0; i <= MAX_STEPS; i++) {
      GraphIndex.ConstantRef c = g.constant(value);
      if (c != null) {
        Collections.reverse(path);
        return build(c, path);
      }
      GraphIndex scope = g.scopeOf(value);
      if (scope == null) {
        return null;
      }
      NodeRef p = scope.producer(value);
      if (p == null || !PASS_THROUGH.contains(p.opType()) || !isDefaultDomain(p)) {
        return null;
      }
      path.add(p);
      g = scope;
      value = p.input(0);
    }
    return null;
  }

  private static boolean isDefaultDomain(NodeRef n) {
    String d = n.node().getDomain();
    return d.isEmpty() || d.equals("ai.onnx");
  }

  private static ValueChain build(GraphIndex.ConstantRef c, List<NodeRef> path) throws TraceException {
    long[] shape = c.tensor().getDimsList().stream().mapToLong(Long::longValue).toArray();
    long[] stored = shape.clone();
    List<ChainStep> steps = new ArrayList<>();
    for (NodeRef n : path) {
      ChainStep step = step(n, shape);
      steps.add(step);
      shape = step.outShape();
    }
    return new ValueChain(c, stored, List.copyOf(steps));
  }

  private static ChainStep step(NodeRef n, long[] in) throws TraceException {
    switch (n.opType()) {
      case "Identity", "Cast":
        return new ChainStep(n.opType(), null, in);
      case "Transpose": {
        long[] permAttr = n.intsAttr("perm");
        int r = in.length;
        if (permAttr != null && permAttr.length != r) {
          throw new TraceException("Transpose '" + n.label() + "' has a perm of rank "
              + permAttr.length + " for a tensor of rank " + r);
        }
        int[] perm = new int[r];
        for (int d = 0; d < r; d++) {
          long p = permAttr == null ? r - 1 - d : permAttr[d];
          perm[d] = p < 0 || p >= r ? -1 : (int) p;
        }
        long[] out = new long[r];
        boolean[] seen = new boolean[r];
        for (int d = 0; d < r; d++) {
          if (perm[d] < 0 || perm[d] >= r || seen[perm[d]]) {
            throw new TraceException("Transpose '" + n.label() + "' has an invalid perm");
          }
          seen[perm[d]] = true;
          out[d] = in[perm[d]];
        }
        return new ChainStep("Transpose", perm, out);
      }
      case "Reshape":
        return new ChainStep("Reshape", null, reshape(n, in, constantInts(n, 1, "shape")));
      case "Flatten": {
        long axis = n.intAttr("axis", 1);
        if (axis < 0) {
          axis += in.length;
        }
        long a = 1;
        long b = 1;
        for (int d = 0; d < in.length; d++) {
          if (d < axis) {
            a *= in[d];
          } else {
            b *= in[d];
          }
        }
        return new ChainStep("Flatten", null, new long[] {a, b});
      }
      case "Squeeze":
        return new ChainStep("Squeeze", null, squeeze(n, in, axes(n)));
      case "Unsqueeze":
        return new ChainStep("Unsqueeze", null, unsqueeze(in, axes(n)));
      default:
        throw new IllegalStateException(n.opType());
    }
  }

  private static long[] axes(NodeRef n) throws TraceException {
    long[] attr = n.intsAttr("axes");
    if (attr != null) {
      return attr;
    }
    if (n.input(1).isEmpty()) {
      return null;
    }
    return constantInts(n, 1, "axes");
  }

  private static long[] constantInts(NodeRef n, int slot, String what) throws TraceException {
    GraphIndex.ConstantRef c = n.graph().constant(n.input(slot));
    if (c == null) {
      throw new TraceException("reaches its consumer through " + n.opType() + " '" + n.label()
          + "' whose " + what + " is computed at run time");
    }
    return Int64Values.of(c.tensor());
  }

  static long[] reshape(NodeRef n, long[] in, long[] spec) throws TraceException {
    boolean allowZero = n.intAttr("allowzero", 0) != 0;
    long total = WeightValues.size(in);
    long[] out = new long[spec.length];
    int minusOne = -1;
    long known = 1;
    for (int d = 0; d < spec.length; d++) {
      long s = spec[d];
      if (s == 0 && !allowZero) {
        if (d >= in.length) {
          throw new TraceException("Reshape '" + n.label() + "' copies dim " + d + " that the input lacks");
        }
        s = in[d];
      }
      if (s == -1) {
        if (minusOne >= 0) {
          throw new TraceException("Reshape '" + n.label() + "' has two -1 dims");
        }
        minusOne = d;
        continue;
      }
      if (s < 0) {
        throw new TraceException("Reshape '" + n.label() + "' has a negative dim " + s);
      }
      out[d] = s;
      known *= s;
    }
    if (minusOne >= 0) {
      if (known == 0 || total % known != 0) {
        throw new TraceException("Reshape '" + n.label() + "' cannot infer its -1 dim");
      }
      out[minusOne] = total / known;
      known *= out[minusOne];
    }
    if (known != total) {
      throw new TraceException("Reshape '" + n.label() + "' changes the element count");
    }
    return out;
  }

  private static long[] squeeze(NodeRef n, long[] in, long[] axes) throws TraceException {
    boolean[] drop = new boolean[in.length];
    if (axes == null) {
      for (int d = 0; d < in.length; d++) {
        drop[d] = in[d] == 1;
      }
    } else {
      for (long a : axes) {
        long axis = a < 0 ? a + in.length : a;
        if (axis < 0 || axis >= in.length || in[(int) axis] != 1) {
          throw new TraceException("Squeeze '" + n.label() + "' removes axis " + a
              + " of a tensor of shape " + java.util.Arrays.toString(in) + ", which is not 1");
        }
        drop[(int) axis] = true;
      }
    }
    List<Long> out = new ArrayList<>();
    for (int d = 0; d < in.length; d++) {
      if (!drop[d]) {
        out.add(in[d]);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static long[] unsqueeze(long[] in, long[] axes) throws TraceException {
    if (axes == null) {
      throw new TraceException("Unsqueeze without axes");
    }
    int r = in.length + axes.length;
    boolean[] added = new boolean[r];
    for (long a : axes) {
      int ax = (int) (a < 0 ? a + r : a);
      if (ax < 0 || ax >= r) {
        throw new TraceException("Unsqueeze axis " + a + " out of range");
      }
      added[ax] = true;
    }
    long[] out = new long[r];
    int k = 0;
    for (int d = 0; d < r; d++) {
      out[d] = added[d] ? 1 : in[k++];
    }
    return out;
  }
}
