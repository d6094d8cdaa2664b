package dev.zeroinit.onnxio.graph;

import dev.zeroinit.onnxio.proto.Onnx.NodeProto;

/** A node of an indexed graph: the graph, its position in it, and the node itself. */
public record NodeRef(GraphIndex graph, int index, NodeProto node) {

  public String opType() {
    return node.getOpType();
  }

  /** The node's name, or {@code #index} for unnamed nodes. */
  public String label() {
    return node.getName().isEmpty() ? "#" + index : node.getName();
  }

  /** True for ops of the default ONNX domain ({@code ""} or {@code ai.onnx}). */
  public boolean isOnnxOp(String op) {
    String d = node.getDomain();
    return node.getOpType().equals(op) && (d.isEmpty() || d.equals("ai.onnx"));
  }

  /** Input name at {@code slot}, or "" when absent. */
  public String input(int slot) {
    return slot < node.getInputCount() ? node.getInput(slot) : "";
  }

  /** An integer attribute, or {@code fallback} when absent. */
  public long intAttr(String name, long fallback) {
    for (var a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return fallback;
  }

  /** An integer-list attribute, or null when absent. */
  public long[] intsAttr(String name) {
    for (var a : node.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
      }
    }
    return null;
  }
}
