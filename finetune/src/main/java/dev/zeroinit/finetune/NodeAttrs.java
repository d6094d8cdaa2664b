package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.List;

/** Reads the attributes of one node with ONNX defaults. */
final class NodeAttrs {
  private NodeAttrs() {}

  static Onnx.AttributeProto find(Onnx.NodeProto node, String name) {
    for (Onnx.AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  static boolean has(Onnx.NodeProto node, String name) {
    return find(node, name) != null;
  }

  static long i(Onnx.NodeProto node, String name, long dflt) {
    Onnx.AttributeProto a = find(node, name);
    return a == null ? dflt : a.getI();
  }

  static float f(Onnx.NodeProto node, String name, float dflt) {
    Onnx.AttributeProto a = find(node, name);
    return a == null ? dflt : a.getF();
  }

  static String s(Onnx.NodeProto node, String name, String dflt) {
    Onnx.AttributeProto a = find(node, name);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  /** An INTS attribute, or null when absent. */
  static long[] ints(Onnx.NodeProto node, String name) {
    Onnx.AttributeProto a = find(node, name);
    if (a == null) {
      return null;
    }
    long[] out = new long[a.getIntsCount()];
    for (int k = 0; k < out.length; k++) {
      out[k] = a.getInts(k);
    }
    return out;
  }

  static Onnx.TensorProto t(Onnx.NodeProto node, String name) {
    Onnx.AttributeProto a = find(node, name);
    return a == null || !a.hasT() ? null : a.getT();
  }

  /** The node's input {@code k}, or "" when it is absent (optional inputs). */
  static String input(Onnx.NodeProto node, int k) {
    return k < node.getInputCount() ? node.getInput(k) : "";
  }

  /** The node's output {@code k}, or "" when it is absent. */
  static String output(Onnx.NodeProto node, int k) {
    return k < node.getOutputCount() ? node.getOutput(k) : "";
  }

  /** Names of outer-scope values read inside the node's subgraphs (If/Loop/Scan bodies). */
  static List<String> implicitInputs(Onnx.NodeProto node) {
    List<String> out = new ArrayList<>();
    for (Onnx.AttributeProto a : node.getAttributeList()) {
      if (a.hasG()) {
        collectOuter(a.getG(), out);
      }
      for (Onnx.GraphProto g : a.getGraphsList()) {
        collectOuter(g, out);
      }
    }
    return out;
  }

  private static void collectOuter(Onnx.GraphProto g, List<String> out) {
    java.util.Set<String> local = new java.util.HashSet<>();
    g.getInputList().forEach(v -> local.add(v.getName()));
    g.getInitializerList().forEach(t -> local.add(t.getName()));
    for (Onnx.NodeProto n : g.getNodeList()) {
      local.addAll(n.getOutputList());
    }
    for (Onnx.NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !local.contains(in)) {
          out.add(in);
        }
      }
      for (String in : implicitInputs(n)) {
        if (!local.contains(in)) {
          out.add(in);
        }
      }
    }
  }

  /** Name of a node for messages: its name, or its op type and first output. */
  static String describe(Onnx.NodeProto node) {
    String name = node.getName().isEmpty() ? "(unnamed)" : "'" + node.getName() + "'";
    String out = node.getOutputCount() > 0 ? " producing '" + node.getOutput(0) + "'" : "";
    return node.getOpType() + " node " + name + out;
  }
}
