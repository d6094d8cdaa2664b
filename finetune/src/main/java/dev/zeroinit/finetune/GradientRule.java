package dev.zeroinit.finetune;

/**
 * The derivative of one ONNX op: how its forward computation is written into the training-step graph
 * (by default a copy of the node; BatchNormalization, MaxPool, LayerNormalization and Dropout change
 * it for training), and how the gradients of its outputs become gradients of its inputs, written as
 * standard ONNX ops. A rule emits gradients only for the inputs {@link NodeContext#active} says need
 * one, and throws {@link NodeContext#unsupported} for attribute combinations it does not cover.
 */
interface GradientRule {
  /** Writes the node's forward computation; returns what the backward pass needs from it. */
  default Object forward(NodeContext c) {
    c.copyNode();
    return null;
  }

  /** Writes the gradients of the node's active inputs. */
  void backward(NodeContext c);
}
