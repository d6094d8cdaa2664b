package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;

/** What a {@link GradientRule} sees of one forward node, and how it writes into the step graph. */
final class NodeContext {
  private final Backprop bp;
  private final Onnx.NodeProto node;
  private final Object saved;

  NodeContext(Backprop bp, Onnx.NodeProto node, Object saved) {
    this.bp = bp;
    this.node = node;
    this.saved = saved;
  }

  Onnx.NodeProto node() {
    return node;
  }

  String op() {
    return node.getOpType();
  }

  Emitter em() {
    return bp.emitter();
  }

  /** Input {@code k}'s name, "" when absent. */
  String in(int k) {
    return NodeAttrs.input(node, k);
  }

  /** Output {@code k}'s name, "" when absent. */
  String out(int k) {
    return NodeAttrs.output(node, k);
  }

  int inputCount() {
    return node.getInputCount();
  }

  long[] dims(String name) {
    return bp.emitter().dims(name);
  }

  /** Dims that must be known completely, else the rule cannot be written: an unsupported error. */
  long[] staticDims(String name, String what) {
    long[] d = dims(name);
    if (!Dims.isStatic(d)) {
      throw unsupported(what + " needs the static shape of '" + name + "', inferred as "
          + Dims.toString(d) + "; fix the batch size (--batch) or give the model static shapes");
    }
    return d;
  }

  /** Dims whose rank must be known. */
  long[] rankedDims(String name) {
    long[] d = dims(name);
    if (d == null) {
      throw unsupported("the rank of '" + name + "' is not known");
    }
    return d;
  }

  int type(String name) {
    return bp.emitter().type(name);
  }

  long[] ints(String name) {
    return bp.emitter().shapes().staticInts(name);
  }

  double[] floats(String name) {
    return bp.emitter().shapes().floats(name);
  }

  long attrI(String name, long dflt) {
    return NodeAttrs.i(node, name, dflt);
  }

  float attrF(String name, float dflt) {
    return NodeAttrs.f(node, name, dflt);
  }

  String attrS(String name, String dflt) {
    return NodeAttrs.s(node, name, dflt);
  }

  long[] attrInts(String name) {
    return NodeAttrs.ints(node, name);
  }

  /** Whether input {@code k} needs a gradient (it is float and depends on a parameter). */
  boolean active(int k) {
    String n = in(k);
    return !n.isEmpty() && bp.isActive(n);
  }

  /** A clear error naming this node. */
  UnsupportedOpException unsupported(String detail) {
    return bp.rules().unsupported(node, detail);
  }

  // ---- forward ----

  /** Copies the forward node unchanged into the step graph. */
  void copyNode() {
    bp.emitter().addNode(node);
  }

  /** Emits a changed version of the forward node. */
  void emitNode(Onnx.NodeProto changed) {
    bp.emitter().addNode(changed);
  }

  /** Whether the value is optimizer-independent state carried between steps (BN statistics). */
  boolean isState(String name) {
    return bp.isState(name);
  }

  /** Records the next value of a state input (for example a running mean). */
  void stateUpdate(String state, String next) {
    bp.stateUpdate(state, next);
  }

  // ---- backward ----

  /** What the forward pass saved for the backward pass. */
  Object saved() {
    return saved;
  }

  /** The gradient of output {@code k}, or null when nothing depends on it. */
  String grad(int k) {
    String o = out(k);
    return o.isEmpty() ? null : bp.gradOf(o);
  }

  /** Adds a contribution to the gradient of input {@code k}. */
  void accumulate(int k, String g) {
    bp.accumulate(in(k), g);
  }
}
