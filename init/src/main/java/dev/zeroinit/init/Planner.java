package dev.zeroinit.init;

import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.TensorSite;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.onnxio.graph.NodeRef;
import dev.zeroinit.onnxio.graph.Use;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides what every stored tensor becomes. It walks every graph of the model (subgraphs and
 * model-local functions included), finds each tensor a weight-bearing op reads (Gemm, MatMul, Conv,
 * ConvTranspose, their biases, normalisation parameters), follows it back through Identity, Cast,
 * Transpose, Reshape and the like to the stored constant, and derives from the consumer's op and
 * attributes how the stored tensor holds the P x Q matrix. A tensor read by several consumers is
 * rewritten only when they all ask for the same stored values. Pure: reads the model, writes nothing.
 */
public final class Planner {
  private static final Set<String> RECURRENT = Set.of("LSTM", "GRU", "RNN");
  private static final Set<String> QUANTIZED = Set.of("QLinearConv", "QLinearMatMul", "MatMulInteger",
      "ConvInteger", "DequantizeLinear", "QGemm", "MatMulNBits", "DynamicQuantizeMatMul",
      "MatMulIntegerToFloat", "QAttention", "GatherBlockQuantized");
  private static final Set<String> NORMS =
      Set.of("LayerNormalization", "InstanceNormalization", "GroupNormalization");
  /** Readers of a weight that look at its shape only; they do not stop a rewrite. */
  private static final Set<String> SHAPE_ONLY = Set.of("Shape", "Size");
  /** Largest tensor whose per-consumer values are compared element by element. */
  private static final long MAX_COMPARE = 1L << 24;

  private final PlanOptions options;
  private final List<Usage> usages = new ArrayList<>();
  /** Weight-op nodes (by graph id and index) that read a constant weight. */
  private final Set<String> weightNodes = new HashSet<>();
  /** Mul nodes recognised as the scale of a decomposed LayerNorm. */
  private final Set<String> decomposedNormScales = new HashSet<>();

  /** Residual blocks found, and the branch ends to zero (by node key) with their block ids. */
  private final List<ResidualBlock> blocks = new ArrayList<>();
  private final Map<String, Integer> zeroedBranchEnds = new HashMap<>();

  private Planner(PlanOptions options) {
    this.options = options;
  }

  private void findBlocks(GraphIndex g) {
    boolean zero = options.residual() == ResidualMode.ZERO_LAST;
    for (ResidualBlocks.Block b : ResidualBlocks.find(g)) {
      int id = blocks.size() + 1;
      blocks.add(new ResidualBlock(id, g.id(), label(b.add()), label(b.branchEnd()),
          b.branchLayers().stream().map(Planner::label).toList(), b.skipKind(), zero));
      if (zero) {
        zeroedBranchEnds.put(key(b.branchEnd()), id);
      }
    }
  }

  private static String label(NodeRef n) {
    return n.opType() + " '" + n.label() + "'";
  }

  /** Plans the ZerO rewrite of {@code model}. */
  public static Plan plan(ModelProto model, PlanOptions options) throws InvalidModelException {
    Planner p = new Planner(options);
    ModelIndex index = ModelIndex.of(model);
    for (GraphIndex g : index.allGraphs()) {
      p.findBlocks(g);
    }
    for (GraphIndex g : index.allGraphs()) {
      for (NodeRef n : g.nodes()) {
        p.classify(n);
      }
    }
    return new Plan(p.decide(), List.copyOf(p.blocks), options);
  }

  /** One reading of a stored tensor by a consumer slot. */
  private record Usage(ValueChain chain, NodeRef consumer, int slot, Role role, String op,
      WeightLayout layout, String orientation, String skipReason) {
    TensorSite site() {
      return chain.source().site();
    }
  }

  // ---------------------------------------------------------------- classification of one node

  private void classify(NodeRef n) throws InvalidModelException {
    String d = n.node().getDomain();
    boolean onnx = d.isEmpty() || d.equals("ai.onnx");
    String op = n.opType();
    if (!onnx) {
      if (d.equals("com.microsoft") && QUANTIZED.contains(op)) {
        skipConstants(n, Role.QUANTIZED, "read by quantized op " + op + "; integer/quantized weights are not covered");
      }
      return;
    }
    switch (op) {
      case "Gemm" -> gemm(n);
      case "MatMul" -> matMul(n);
      case "Conv" -> conv(n, false);
      case "ConvTranspose" -> conv(n, true);
      case "BatchNormalization" -> {
        norm(n, 1, Role.NORM_SCALE, 1.0);
        norm(n, 2, Role.NORM_BIAS, 0.0);
        norm(n, 3, Role.NORM_MEAN, 0.0);
        norm(n, 4, Role.NORM_VARIANCE, 1.0);
      }
      case "Add" -> add(n);
      case "Mul" -> mul(n);
      case "Gather" -> {
        ValueChain c = trace(n, 0);
        if (c != null && isFloat(c)) {
          usages.add(skip(c, n, 0, Role.EMBEDDING, op, "embedding table read by Gather; ZerO does not cover embeddings"));
        }
      }
      default -> {
        if (NORMS.contains(op)) {
          norm(n, 1, Role.NORM_SCALE, 1.0);
          norm(n, 2, Role.NORM_BIAS, 0.0);
        } else if (RECURRENT.contains(op)) {
          for (int s = 1; s <= 3; s++) {
            ValueChain c = trace(n, s);
            if (c != null) {
              usages.add(skip(c, n, s, Role.RECURRENT, op, op + " weights are recurrent; ZerO does not cover them"));
            }
          }
        } else if (QUANTIZED.contains(op)) {
          skipConstants(n, Role.QUANTIZED, "read by quantized op " + op + "; integer/quantized weights are not covered");
        }
      }
    }
  }

  private void skipConstants(NodeRef n, Role role, String reason) throws InvalidModelException {
    int slots = n.opType().equals("DequantizeLinear") ? 1 : n.node().getInputCount();
    for (int s = 0; s < slots; s++) {
      ValueChain c = trace(n, s);
      if (c != null && WeightValues.size(c.storedShape()) > 1) {
        usages.add(skip(c, n, s, role, n.opType(), reason));
      }
    }
  }

  private void gemm(NodeRef n) throws InvalidModelException {
    boolean transA = n.intAttr("transA", 0) != 0;
    boolean transB = n.intAttr("transB", 0) != 0;
    ValueChain a = trace(n, 0);
    ValueChain b = trace(n, 1);
    if (a != null) {
      weight(n, 0, a, "Gemm", 2, shape -> new WeightLayout.MatrixSlices(shape, transA),
          "Gemm A, transA=" + (transA ? 1 : 0));
    }
    if (b != null) {
      weight(n, 1, b, "Gemm", 2, shape -> new WeightLayout.MatrixSlices(shape, !transB),
          "Gemm B, transB=" + (transB ? 1 : 0));
    }
    if (a != null || b != null) {
      bias(n, 2, "Gemm");
    }
  }

  private void matMul(NodeRef n) throws InvalidModelException {
    ValueChain left = trace(n, 0);
    ValueChain right = trace(n, 1);
    if (right != null) {
      weight(n, 1, right, "MatMul", -2, shape -> new WeightLayout.MatrixSlices(shape, true),
          "MatMul X*B, B on the right");
    }
    if (left != null) {
      weight(n, 0, left, "MatMul", -2, shape -> new WeightLayout.MatrixSlices(shape, false),
          "MatMul B*X, B on the left");
    }
  }

  private void conv(NodeRef n, boolean transposed) throws InvalidModelException {
    String op = transposed ? "ConvTranspose" : "Conv";
    ValueChain w = trace(n, 1);
    if (w == null) {
      return;
    }
    long groups = n.intAttr("group", 1);
    weight(n, 1, w, op, -3, shape -> {
      if (groups < 1 || shape[0] % groups != 0) {
        return null;
      }
      return new WeightLayout.ConvKernel(shape, groups, transposed);
    }, op + (groups > 1 ? " group=" + groups : ""));
    bias(n, 2, op);
  }

  private void norm(NodeRef n, int slot, Role role, double value) throws InvalidModelException {
    ValueChain c = trace(n, slot);
    if (c == null) {
      return;
    }
    if (options.norm() == NormMode.KEEP) {
      usages.add(skip(c, n, slot, role, n.opType(), "normalisation parameter kept (--norm keep)"));
      return;
    }
    fill(n, slot, c, role, n.opType(), value);
  }

  private void bias(NodeRef n, int slot, String op) throws InvalidModelException {
    ValueChain c = trace(n, slot);
    if (c != null) {
      fill(n, slot, c, Role.BIAS, op, 0.0);
    }
  }

  /** Add(weight op output, constant) is a bias; Add(decomposed norm scale, constant) a norm bias. */
  private void add(NodeRef n) throws InvalidModelException {
    for (int s = 0; s < 2; s++) {
      NodeRef producer = producerOf(n, 1 - s);
      if (producer == null) {
        continue;
      }
      ValueChain c = trace(n, s);
      if (c == null) {
        continue;
      }
      String key = key(producer);
      if (weightNodes.contains(key)) {
        fill(n, s, c, Role.BIAS, producer.opType(), 0.0);
        return;
      }
      if (decomposedNormScales.contains(key)) {
        norm(n, s, Role.NORM_BIAS, 0.0);
        return;
      }
    }
  }

  /** Mul(Div(Sub(x, mean), Sqrt(var + eps)), constant): the scale of a LayerNorm written out. */
  private void mul(NodeRef n) throws InvalidModelException {
    for (int s = 0; s < 2; s++) {
      NodeRef div = producerOf(n, 1 - s);
      if (div == null || !div.isOnnxOp("Div")) {
        continue;
      }
      NodeRef sub = producerOf(div, 0);
      NodeRef sqrt = producerOf(div, 1);
      if (sub == null || sqrt == null || !sub.isOnnxOp("Sub") || !sqrt.isOnnxOp("Sqrt")) {
        continue;
      }
      ValueChain c = trace(n, s);
      if (c != null) {
        decomposedNormScales.add(key(n));
        norm(n, s, Role.NORM_SCALE, 1.0);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- usages

  private interface LayoutFactory {
    WeightLayout make(long[] consumerShape);
  }

  /**
   * Records a weight usage. {@code rank}: exact rank required when positive, minimum rank when
   * negative.
   */
  private void weight(NodeRef n, int slot, ValueChain c, String op, int rank, LayoutFactory factory,
      String orientation) {
    long[] shape = c.consumerShape();
    boolean rankOk = rank > 0 ? shape.length == rank : shape.length >= -rank;
    String reason = dtypeReason(c);
    WeightLayout layout = null;
    if (reason == null && !rankOk) {
      reason = op + " reads it as a tensor of rank " + shape.length + " " + Arrays.toString(shape)
          + (rank == -2 ? "; a 1-D operand is a vector, not a matrix" : "; expected rank "
          + (rank > 0 ? rank : ">= " + (-rank)));
    }
    if (reason == null && hasZeroDim(shape)) {
      reason = "has a zero-sized dim " + Arrays.toString(shape);
    }
    Integer block = zeroedBranchEnds.get(key(n));
    if (reason == null && block != null) {
      layout = new WeightLayout.Fill(shape, 0.0);
      orientation = "last layer of residual block #" + block + ", zero so the block starts as the identity";
    } else if (reason == null) {
      layout = factory.make(shape);
      if (layout == null) {
        reason = op + " '" + n.label() + "': the group count does not divide the kernel's first dim "
            + Arrays.toString(shape);
      }
    }
    if (reason == null && !options.ops().contains(op)) {
      reason = op + " is not selected (--ops)";
    }
    weightNodes.add(key(n));
    usages.add(new Usage(c, n, slot, Role.WEIGHT, op, reason == null ? layout : null,
        orientation, reason));
  }

  private void fill(NodeRef n, int slot, ValueChain c, Role role, String op, double value) {
    String reason = dtypeReason(c);
    if (reason == null && role == Role.BIAS && !options.ops().contains(op)) {
      reason = op + " is not selected (--ops)";
    }
    String what = role.label() + " of " + n.opType();
    usages.add(new Usage(c, n, slot, role, op,
        reason == null ? new WeightLayout.Fill(c.consumerShape(), value) : null, what, reason));
  }

  private static Usage skip(ValueChain c, NodeRef n, int slot, Role role, String op, String reason) {
    return new Usage(c, n, slot, role, op, null, role.label(), reason);
  }

  private static String dtypeReason(ValueChain c) {
    int code = c.source().tensor().getDataType();
    DataType type;
    try {
      type = DataType.fromCode(code);
    } catch (InvalidModelException e) {
      return "unknown data type " + code;
    }
    if (type.isZeroInitFloat()) {
      return null;
    }
    return (type.isInteger() ? "integer/quantized weights (" : "data type ") + type.onnxName()
        + (type.isInteger() ? ") are not covered" : " is not covered");
  }

  private static boolean isFloat(ValueChain c) {
    return dtypeReason(c) == null;
  }

  private static boolean hasZeroDim(long[] shape) {
    for (long d : shape) {
      if (d <= 0) {
        return true;
      }
    }
    return false;
  }

  private ValueChain trace(NodeRef n, int slot) throws InvalidModelException {
    String name = n.input(slot);
    if (name.isEmpty()) {
      return null;
    }
    try {
      return ChainTracer.trace(n.graph(), name);
    } catch (TraceException e) {
      GraphIndex.ConstantRef c = constantBehind(n.graph(), name);
      if (c == null) {
        return null;
      }
      long[] shape = c.tensor().getDimsList().stream().mapToLong(Long::longValue).toArray();
      ValueChain chain = new ValueChain(c, shape, List.of());
      usages.add(new Usage(chain, n, slot, Role.WEIGHT, n.opType(), null, "", e.getMessage()));
      return null;
    }
  }

  /** The constant at the root of a pass-through chain, ignoring shape problems on the way. */
  private static GraphIndex.ConstantRef constantBehind(GraphIndex g, String name) {
    String value = name;
    GraphIndex scope = g;
    for (int i = 0; i < 64; i++) {
      GraphIndex.ConstantRef c = scope.constant(value);
      if (c != null) {
        return c;
      }
      GraphIndex s = scope.scopeOf(value);
      NodeRef p = s == null ? null : s.producer(value);
      if (p == null || !ChainTracer.PASS_THROUGH.contains(p.opType())) {
        return null;
      }
      scope = s;
      value = p.input(0);
    }
    return null;
  }

  private static NodeRef producerOf(NodeRef n, int slot) {
    String name = n.input(slot);
    if (name.isEmpty()) {
      return null;
    }
    GraphIndex scope = n.graph().scopeOf(name);
    return scope == null ? null : scope.producer(name);
  }

  private static String key(NodeRef n) {
    return n.graph().id() + "#" + n.index();
  }

  // ---------------------------------------------------------------- decisions per stored tensor

  private List<PlanEntry> decide() throws InvalidModelException {
    Map<TensorSite, List<Usage>> bySite = new LinkedHashMap<>();
    for (Usage u : usages) {
      bySite.computeIfAbsent(u.site(), k -> new ArrayList<>()).add(u);
    }
    List<PlanEntry> entries = new ArrayList<>();
    for (List<Usage> group : bySite.values()) {
      entries.add(decide(group));
    }
    return entries;
  }

  private PlanEntry decide(List<Usage> group) throws InvalidModelException {
    Usage first = group.get(0);
    GraphIndex.ConstantRef source = first.chain().source();
    TensorProto t = source.tensor();
    String reason = null;
    Role role = first.role();
    for (Usage u : group) {
      if (u.skipReason() != null) {
        reason = u.skipReason();
        role = u.role();
        break;
      }
    }
    if (reason == null) {
      TensorCodec.checkLength(t); // a tensor whose data contradicts its dims is an invalid model
      reason = disagreement(group);
    }
    if (reason == null) {
      reason = otherUse(source, group);
    }
    if (reason == null) {
      reason = options.filterReason(t.getName());
    }
    List<String> consumers = new ArrayList<>();
    for (Usage u : group) {
      String graph = u.consumer().graph().id();
      String c = u.consumer().opType() + " '" + u.consumer().label() + "'"
          + (graph.equals(dev.zeroinit.onnxio.TensorWalker.MAIN_GRAPH) ? "" : " in " + graph);
      if (!consumers.contains(c)) {
        consumers.add(c);
      }
    }
    DataType type = DataType.fromCode(t.getDataType());
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long bytes = type.bitsPerElement() == 0 ? 0 : DataType.rawByteLength(type, safeSize(shape));
    if (reason != null) {
      return new PlanEntry(source.site(), t.getName(), type.onnxName(), shape, role,
          List.copyOf(consumers), null, 0, 0, 1, 0, "", List.of(), reason, bytes, null, null);
    }
    WeightLayout layout = first.layout();
    ValueChain chain = first.chain();
    String orientation = first.orientation() + ": " + layout.orientation()
        + (chain.describe().isEmpty() ? "" : " " + chain.describe());
    List<String> notes = new ArrayList<>();
    if (layout instanceof WeightLayout.Fill f) {
      return new PlanEntry(source.site(), t.getName(), type.onnxName(), shape, first.role(),
          List.copyOf(consumers), f.value() == 0 ? "zero" : "one", 0, 0, 1, f.value(), orientation,
          notes, null, bytes, layout, chain);
    }
    ZeroMatrix m = WeightValues.matrixOf(layout, options); // P x Q per group or slice
    long groups = layout instanceof WeightLayout.ConvKernel k ? k.groups()
        : ((WeightLayout.MatrixSlices) layout).slices();
    if (options.method().isRandom()) {
      long[] fans = RandomWeights.fans(layout);
      double spread = RandomWeights.spread(options.method(), layout);
      notes.add("fan_in " + fans[0] + ", fan_out " + fans[1] + (options.method() == InitMethod.ORTHOGONAL
          ? "" : (options.method().name().endsWith("NORMAL") ? ", std " : ", bound ") + spread)
          + ", seed " + options.seed());
      String randomOrientation = first.orientation() + ": "
          + (layout instanceof WeightLayout.ConvKernel k ? (k.transposed() ? "per group W^T" : "per group W")
              + " over the whole kernel" : layout.orientation())
          + (chain.describe().isEmpty() ? "" : " " + chain.describe());
      return new PlanEntry(source.site(), t.getName(), type.onnxName(), shape, first.role(),
          List.copyOf(consumers), options.method().optionName(), m.rows(), m.cols(), groups, spread,
          randomOrientation, List.copyOf(notes), null, bytes, layout, chain);
    }
    if (layout instanceof WeightLayout.ConvKernel k && k.hasEvenKernel()) {
      notes.add("even kernel " + Arrays.toString(Arrays.copyOfRange(k.shape(), 2, k.shape().length))
          + " has no true centre; the tap is at floor(k/2) = " + Arrays.toString(k.centre()));
    }
    if (m.rule() == MatrixRule.HADAMARD) {
      int halfSteps = options.scale() == HadamardScale.PAPER ? m.hadamardOrder() - 1 : m.hadamardOrder();
      String power = halfSteps % 2 == 0 ? "2^" + (-halfSteps / 2) : "2^(-" + halfSteps + "/2)";
      notes.add("c = " + power + " = " + String.format(java.util.Locale.ROOT, "%.6g", m.factor())
          + " (m = " + m.hadamardOrder() + ", " + options.scale().optionName() + " scale)");
    }
    return new PlanEntry(source.site(), t.getName(), type.onnxName(), shape, first.role(),
        List.copyOf(consumers), m.rule().label(), m.rows(), m.cols(), groups, m.factor(),
        orientation, List.copyOf(notes), null, bytes, layout, chain);
  }

  private static long safeSize(long[] shape) {
    try {
      return WeightValues.size(shape);
    } catch (ArithmeticException e) {
      return 0;
    }
  }

  /** Null when every consumer asks for the same stored values, else why not. */
  private String disagreement(List<Usage> group) {
    Usage first = group.get(0);
    boolean same = true;
    for (Usage u : group) {
      if (!u.layout().equals(first.layout()) || !sameSteps(u.chain(), first.chain())) {
        same = false;
        break;
      }
    }
    if (same) {
      return null;
    }
    long n = WeightValues.size(first.chain().storedShape());
    if (n > MAX_COMPARE) {
      return "its consumers read it in different orientations";
    }
    double[] reference = dense(first, (int) n);
    for (Usage u : group) {
      if (!Arrays.equals(dense(u, (int) n), reference)) {
        return "its consumers disagree on its orientation (" + first.consumer().opType() + " '"
            + first.consumer().label() + "' vs " + u.consumer().opType() + " '"
            + u.consumer().label() + "'); rewriting it for one would break the other";
      }
    }
    return null;
  }

  private double[] dense(Usage u, int n) {
    double[] out = new double[n];
    u.chain().toStored(WeightValues.of(u.layout(), options, u.chain().source().tensor().getName()))
        .forEachNonZero((i, v) -> out[(int) i] = v);
    return out;
  }

  private static boolean sameSteps(ValueChain a, ValueChain b) {
    if (a.steps().size() != b.steps().size()) {
      return false;
    }
    for (int i = 0; i < a.steps().size(); i++) {
      ChainStep x = a.steps().get(i);
      ChainStep y = b.steps().get(i);
      if (!Arrays.equals(x.perm(), y.perm()) || !Arrays.equals(x.outShape(), y.outShape())) {
        return false;
      }
    }
    return true;
  }

  /** Null when every reader of the stored tensor is one of the planned usages, else who else reads it. */
  private static String otherUse(GraphIndex.ConstantRef source, List<Usage> group) {
    Set<String> known = new HashSet<>();
    for (Usage u : group) {
      known.add(key(u.consumer()) + "@" + u.slot());
    }
    return otherUse(source.graph(), source.valueName(), known, 0);
  }

  private static String otherUse(GraphIndex g, String value, Set<String> known, int depth) {
    if (g.isGraphOutput(value)) {
      return "it is also a graph output";
    }
    if (depth > 64) {
      return "its chain of Identity/Reshape/Transpose nodes is too long";
    }
    for (Use use : g.allUses(value)) {
      NodeRef n = use.node();
      if (known.contains(key(n) + "@" + use.slot()) || SHAPE_ONLY.contains(n.opType())) {
        continue;
      }
      if (ChainTracer.PASS_THROUGH.contains(n.opType()) && use.slot() == 0) {
        for (String out : n.node().getOutputList()) {
          String r = otherUse(n.graph(), out, known, depth + 1);
          if (r != null) {
            return r;
          }
        }
        continue;
      }
      return "it is also read by " + n.opType() + " '" + n.label()
          + "', which ZerO does not cover; rewriting it would change that node too";
    }
    return null;
  }
}
