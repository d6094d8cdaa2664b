package dev.zeroinit.onnxio;

/**
 * Where a tensor sits in a model: an initializer of a graph, or the value of a {@code Constant} node,
 * or another tensor-valued attribute or sparse tensor part. Graph ids are stable paths: {@code "graph"}
 * for the main graph, {@code "graph/NODE.ATTR"} for a subgraph held in a node attribute,
 * {@code "function:DOMAIN:NAME"} for a model-local function body, {@code "training[i].initialization"}
 * and {@code "training[i].algorithm"} for training-info graphs.
 *
 * @param graphId the graph (or function body) holding the tensor
 * @param kind what holds it
 * @param nodeIndex the node index for attribute-held tensors, -1 for initializers
 * @param name the tensor's name for initializers, the node's first output for attribute tensors
 */
public record TensorSite(String graphId, Kind kind, int nodeIndex, String name) {

  /** What holds the tensor. */
  public enum Kind {
    INITIALIZER,
    /** the {@code value} attribute of a Constant node */
    CONSTANT_VALUE,
    /** any other tensor attribute ({@code t} or {@code tensors}) of a node */
    NODE_ATTRIBUTE,
    /** the values or indices of a sparse initializer or sparse attribute */
    SPARSE_PART
  }

  public static TensorSite initializer(String graphId, String name) {
    return new TensorSite(graphId, Kind.INITIALIZER, -1, name);
  }

  public static TensorSite constant(String graphId, int nodeIndex, String outputName) {
    return new TensorSite(graphId, Kind.CONSTANT_VALUE, nodeIndex, outputName);
  }

  /** A short human description, e.g. {@code initializer 'fc.weight' of graph}. */
  public String describe() {
    return switch (kind) {
      case INITIALIZER -> "initializer '" + name + "' of " + graphId;
      case CONSTANT_VALUE -> "Constant node #" + nodeIndex + " ('" + name + "') of " + graphId;
      case NODE_ATTRIBUTE -> "tensor attribute of node #" + nodeIndex + " of " + graphId;
      case SPARSE_PART -> "sparse tensor '" + name + "' of " + graphId;
    };
  }
}
