package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rewrites a model of opset 11 or 12 of the default domain into opset 13, the lowest the step
 * builder works in: the ops whose signature changed at 13 get their new form (ReduceSum, Squeeze,
 * Unsqueeze and Split take their axes or sizes as an int64 input; Softmax, LogSoftmax and Hardmax
 * normalised all axes from {@code axis} on, which becomes one axis, or Flatten, the op on the last
 * axis, and a Reshape back). Every other op means the same in 11, 12 and 13. Older opsets are
 * refused by the builder.
 */
final class OpsetUpgrade {
  /** The lowest opset converted. */
  static final int FROM = 11;

  private OpsetUpgrade() {}

  /** The default-domain opset of a model, -1 when it imports none. */
  static int opset(Onnx.ModelProto m) {
    int v = -1;
    for (Onnx.OperatorSetIdProto o : m.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        v = (int) o.getVersion();
      }
    }
    return v;
  }

  /** The model in opset 13 when it is in 11 or 12; otherwise the model itself. */
  static Onnx.ModelProto apply(Onnx.ModelProto m) {
    int v = opset(m);
    if (v < FROM || v >= 13) {
      return m;
    }
    ShapeInference shapes = new ShapeInference(v);
    Onnx.GraphProto g = m.getGraph();
    g.getInitializerList().forEach(shapes::initializer);
    g.getValueInfoList().forEach(shapes::hint);
    Set<String> inits = new HashSet<>();
    g.getInitializerList().forEach(t -> inits.add(t.getName()));
    for (Onnx.ValueInfoProto vi : g.getInputList()) {
      if (!inits.contains(vi.getName())) {
        shapes.input(vi);
      }
    }
    Set<String> names = new HashSet<>();
    for (Onnx.NodeProto n : g.getNodeList()) {
      names.addAll(n.getOutputList());
    }
    Onnx.GraphProto.Builder out = g.toBuilder().clearNode();
    int[] counter = {0};
    for (Onnx.NodeProto n : Backprop.topologicalOrder(g.getNodeList(), inits)) {
      shapes.node(n);
      for (Onnx.AttributeProto a : n.getAttributeList()) {
        if (a.hasG() || a.getGraphsCount() > 0) {
          throw new TrainGraphException("opset " + v + " models with subgraphs (" + n.getOpType()
              + " node '" + n.getName() + "') are not converted; convert the model to opset 13"
              + " or later with onnx.version_converter");
        }
      }
      if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
        out.addNode(n);
        continue;
      }
      switch (n.getOpType()) {
        case "ReduceSum", "Squeeze", "Unsqueeze" -> out.addNode(attrToInput(n, "axes", out,
            names, counter));
        case "Split" -> out.addNode(attrToInput(n, "split", out, names, counter));
        case "Softmax", "LogSoftmax", "Hardmax" -> softmax(n, shapes, out, names, counter);
        default -> out.addNode(n);
      }
    }
    Onnx.ModelProto.Builder b = m.toBuilder().setGraph(out).clearOpsetImport();
    for (Onnx.OperatorSetIdProto o : m.getOpsetImportList()) {
      b.addOpsetImport(o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")
          ? o.toBuilder().setVersion(13).build() : o);
    }
    return b.build();
  }

  private static String fresh(Set<String> names, int[] counter, String hint) {
    String n;
    do {
      n = "opset13/" + hint + "_" + counter[0]++;
    } while (names.contains(n));
    names.add(n);
    return n;
  }

  private static Onnx.NodeProto attrToInput(Onnx.NodeProto n, String attr,
      Onnx.GraphProto.Builder out, Set<String> names, int[] counter) {
    Onnx.AttributeProto a = NodeAttrs.find(n, attr);
    if (a == null) {
      return n;
    }
    long[] values = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    String c = fresh(names, counter, attr);
    out.addInitializer(Tensors.int64Vector(c, values));
    Onnx.NodeProto.Builder b = n.toBuilder().clearAttribute();
    for (Onnx.AttributeProto x : n.getAttributeList()) {
      if (!x.getName().equals(attr)) {
        b.addAttribute(x);
      }
    }
    if (b.getInputCount() < 1) {
      throw new TrainGraphException(n.getOpType() + " node '" + n.getName() + "' has no input");
    }
    List<String> ins = List.copyOf(b.getInputList());
    b.clearInput().addInput(ins.get(0)).addInput(c);
    return b.build();
  }

  private static void softmax(Onnx.NodeProto n, ShapeInference shapes,
      Onnx.GraphProto.Builder out, Set<String> names, int[] counter) {
    long axis = NodeAttrs.i(n, "axis", 1);
    long[] dims = shapes.dims(n.getInput(0));
    Onnx.NodeProto.Builder b = n.toBuilder().clearAttribute();
    if (axis == -1 || (dims != null && axis == dims.length - 1)) {
      out.addNode(b.addAttribute(Attr.i("axis", -1)).build());
      return;
    }
    // normalise over the flattened trailing axes, then restore the shape
    String flat = fresh(names, counter, "flatten");
    String soft = fresh(names, counter, "softmax");
    String shape = fresh(names, counter, "shape");
    out.addNode(Onnx.NodeProto.newBuilder().setName(flat).setOpType("Flatten")
        .addInput(n.getInput(0)).addOutput(flat).addAttribute(Attr.i("axis", axis)));
    out.addNode(b.setName(n.getName()).clearInput().addInput(flat).clearOutput().addOutput(soft)
        .addAttribute(Attr.i("axis", -1)).build());
    out.addNode(Onnx.NodeProto.newBuilder().setName(shape).setOpType("Shape")
        .addInput(n.getInput(0)).addOutput(shape));
    out.addNode(Onnx.NodeProto.newBuilder().setName(fresh(names, counter, "reshape"))
        .setOpType("Reshape").addInput(soft).addInput(shape).addOutput(n.getOutput(0)));
  }
}
