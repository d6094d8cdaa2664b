package dev.zeroinit.onnxio.graph;

/** One reading of a value: the node and the input slot it reads the value through. */
public record Use(NodeRef node, int slot) { }
