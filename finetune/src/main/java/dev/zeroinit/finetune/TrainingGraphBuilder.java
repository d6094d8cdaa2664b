package dev.zeroinit.finetune;

import dev.zeroinit.finetune.TrainStepGraph.Carried;
import dev.zeroinit.finetune.TrainStepGraph.Role;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the training-step graph of a forward model: one ONNX model per step that takes the batch,
 * the targets, the learning rate, the parameters and the optimizer state, and returns the loss, the
 * correct count, and the next parameters and state (the contract is documented on
 * {@link TrainStepGraph}). The forward pass is the model's own nodes in training form, the loss and
 * its gradient are written by {@link LossBuilder}, the backward pass by {@link Backprop} from the
 * {@link GradientRules}, the update by {@link OptimizerBuilder}.
 *
 * <p>The forward model must carry its weights inside the proto (a materialized model) or as
 * external-data references, which are copied as they are. Models of opset 11 and later are
 * supported (11 and 12 are first rewritten to 13 by {@link OpsetUpgrade}); the step graph uses
 * opset 17 or the model's own if higher.
 */
public final class TrainingGraphBuilder {
  /** The lowest opset of the default domain the builder accepts (11 and 12 are converted to 13). */
  public static final int MIN_OPSET = OpsetUpgrade.FROM;
  /** The lowest opset the step graph is written in. */
  public static final int STEP_OPSET = 17;

  /** Contract names. */
  public static final String LOSS = "loss";
  public static final String CORRECT = "correct";
  public static final String TARGETS = "targets";
  public static final String LEARNING_RATE = "lr";
  public static final String STEP = "step";

  private TrainingGraphBuilder() {}

  /** Builds the step graph of {@code model} with {@code options}. */
  public static TrainStepGraph build(Onnx.ModelProto model, TrainOptions options) {
    model = OpsetUpgrade.apply(model);
    Prepared p = Prepared.of(model, options.batchSize());
    Onnx.GraphProto g = model.getGraph();
    String output = options.output() != null ? options.output() : g.getOutput(0).getName();
    if (g.getOutputList().stream().noneMatch(o -> o.getName().equals(output))) {
      throw new TrainGraphException("the model has no output '" + output + "'");
    }
    TrainableParameters.Selection sel = TrainableParameters.select(g, output, options.freeze());
    if (sel.trainable().isEmpty()) {
      throw new TrainGraphException("the model has no trainable parameter (float initializers the"
          + " output '" + output + "' depends on)" + (options.freeze() == null ? ""
          : " that --freeze '" + options.freeze().pattern() + "' leaves"));
    }
    int floatType = p.initializers.get(sel.trainable().get(0)).getDataType();
    for (String name : sel.trainable()) {
      if (p.initializers.get(name).getDataType() != floatType) {
        throw new TrainGraphException("parameters of different float types ('"
            + sel.trainable().get(0) + "' is " + Emitter.typeName(floatType) + ", '" + name
            + "' is " + Emitter.typeName(p.initializers.get(name).getDataType())
            + "); cast the model to one type first");
      }
    }

    // contract names must not collide with the forward graph's
    OptimizerConfig opt = options.optimizer();
    List<String> contract = new ArrayList<>(List.of(LOSS, TARGETS, LEARNING_RATE, STEP,
        STEP + ".new"));
    if (options.loss().countsCorrect()) {
      contract.add(CORRECT);
    }
    for (String prm : sel.trainable()) {
      contract.add(prm + ".new");
      if (options.gradientOutputs()) {
        contract.add(prm + ".grad");
      }
      if (opt.kind() == OptimizerConfig.Kind.SGD && opt.momentum() > 0) {
        contract.addAll(List.of(prm + ".momentum", prm + ".momentum.new"));
      }
      if (opt.kind() == OptimizerConfig.Kind.ADAMW) {
        contract.addAll(List.of(prm + ".exp_avg", prm + ".exp_avg.new", prm + ".exp_avg_sq",
            prm + ".exp_avg_sq.new"));
      }
    }
    for (String r : sel.runningStats()) {
      contract.add(r + ".new");
    }
    for (String c : contract) {
      if (p.names.contains(c)) {
        throw new TrainGraphException("the model already uses the name '" + c
            + "', which the training-step contract needs");
      }
    }

    Emitter em = new Emitter(p.shapes, floatType, p.names);
    contract.forEach(em::reserve);
    Backprop bp = new Backprop(g.getNodeList(), p.known, em, GradientRules.standard(),
        sel.trainable(), new HashSet<>(sel.runningStats()));
    bp.forward();

    // inputs of the contract
    long[] od = em.rankedDims(output);
    int outType = em.typeOr(output);
    String targets = TARGETS;
    long[] targetDims = switch (options.loss()) {
      case CROSS_ENTROPY -> new long[] {od[0]};
      case LANGUAGE_MODEL -> od.length >= 2 ? new long[] {od[0], od[1]} : od;
      case MSE -> od;
    };
    int targetType = options.loss() == LossKind.MSE ? outType : DataType.INT64_VALUE;
    em.declare(targets, targetType, targetDims);
    em.declare(LEARNING_RATE, floatType, new long[0]);
    em.declare(STEP, DataType.INT64_VALUE, new long[0]);

    boolean prescaled = OptimizerBuilder.prescales(opt) && !options.gradientOutputs();
    em.scope("loss");
    String seedScale = prescaled ? em.neg(LEARNING_RATE) : null;
    LossBuilder.Loss loss = LossBuilder.emit(em, options.loss(), output, targets, seedScale);
    em.add("Identity", new String[] {loss.loss()}, new String[] {LOSS});
    if (loss.correct() != null) {
      em.add("Identity", new String[] {loss.correct()}, new String[] {CORRECT});
    }
    Map<String, String> grads = bp.backward(Map.of(output, loss.outputGrad()), sel.trainable());

    List<OptimizerBuilder.Param> params = new ArrayList<>();
    Map<String, String> gradOutputs = new LinkedHashMap<>();
    for (String prm : sel.trainable()) {
      Onnx.TensorProto t = p.initializers.get(prm);
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      String gr = grads.get(prm);
      if (options.gradientOutputs()) {
        String name = prm + ".grad";
        em.add("Identity", new String[] {gr == null ? em.zerosLike(prm) : gr},
            new String[] {name});
        gradOutputs.put(prm, name);
      }
      params.add(new OptimizerBuilder.Param(prm, gr, t.getDataType(), dims));
    }
    List<Carried> carried = new ArrayList<>(
        OptimizerBuilder.emit(em, opt, LEARNING_RATE, STEP, params, prescaled));
    for (Map.Entry<String, String> u : bp.stateUpdates().entrySet()) {
      String name = u.getKey();
      String next = name + ".new";
      em.add("Identity", new String[] {u.getValue()}, new String[] {next});
      Onnx.TensorProto t = p.initializers.get(name);
      carried.add(new Carried(name, next, runningRole(g, name), null, t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
    }
    carried.sort(Comparator.comparingInt(c -> c.role() == Role.PARAMETER ? 0 : 1));

    // assemble
    List<Onnx.ValueInfoProto> inputs = new ArrayList<>(p.batchInputs);
    inputs.add(valueInfo(p.shapes, targets, targetType, targetDims));
    inputs.add(valueInfo(p.shapes, LEARNING_RATE, floatType, new long[0]));
    for (Carried c : carried) {
      inputs.add(valueInfo(p.shapes, c.input(), c.elemType(), c.dims()));
    }
    List<Onnx.ValueInfoProto> outputs = new ArrayList<>();
    outputs.add(valueInfo(p.shapes, LOSS, outType, new long[0]));
    if (loss.correct() != null) {
      outputs.add(valueInfo(p.shapes, CORRECT, DataType.INT64_VALUE, new long[0]));
    }
    for (Carried c : carried) {
      outputs.add(valueInfo(p.shapes, c.output(), c.elemType(), c.dims()));
    }
    for (Map.Entry<String, String> e : gradOutputs.entrySet()) {
      Onnx.TensorProto t = p.initializers.get(e.getKey());
      outputs.add(valueInfo(p.shapes, e.getValue(), t.getDataType(),
          t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
    }
    Onnx.ModelProto step = assemble(model, p, em, inputs, outputs,
        "zero-init training step: " + options.loss().optionName() + " loss, "
            + describe(opt) + ". Feed each X.new output back as input X.",
        options.embedInitialValues());
    Map<String, Onnx.TensorProto> initial = new LinkedHashMap<>();
    for (Carried c : carried) {
      Onnx.TensorProto t = p.initializers.get(c.input());
      if (t != null) {
        initial.put(c.input(), t);
      }
    }
    return new TrainStepGraph(step, p.batchInputs.stream().map(Onnx.ValueInfoProto::getName)
        .toList(), targets, LEARNING_RATE, LOSS, loss.correct() == null ? null : CORRECT, carried,
        sel.trainable(), gradOutputs, sel.excluded(), initial);
  }

  private static Role runningRole(Onnx.GraphProto g, String name) {
    for (Onnx.NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("BatchNormalization") && NodeAttrs.input(n, 4).equals(name)) {
        return Role.RUNNING_VAR;
      }
    }
    return Role.RUNNING_MEAN;
  }

  static String describe(OptimizerConfig o) {
    return switch (o.kind()) {
      case SGD -> "SGD (momentum " + o.momentum() + (o.nesterov() ? ", Nesterov" : "")
          + ", weight decay " + o.weightDecay() + ")";
      case ADAMW -> "AdamW (betas " + o.beta1() + ", " + o.beta2() + ", eps " + o.epsilon()
          + ", weight decay " + o.weightDecay() + ")";
    };
  }

  /** Puts the step model together: pruned nodes, the initializers they read, the contract's I/O. */
  static Onnx.ModelProto assemble(Onnx.ModelProto model, Prepared p, Emitter em,
      List<Onnx.ValueInfoProto> inputs, List<Onnx.ValueInfoProto> outputs, String doc,
      boolean inputDefaults) {
    Set<String> sinks = new HashSet<>();
    outputs.forEach(o -> sinks.add(o.getName()));
    List<Onnx.NodeProto> nodes = Backprop.prune(em.nodes(), sinks);
    Set<String> read = new HashSet<>(sinks);
    for (Onnx.NodeProto n : nodes) {
      read.addAll(n.getInputList());
      read.addAll(NodeAttrs.implicitInputs(n));
    }
    Set<String> inputNames = new HashSet<>();
    inputs.forEach(i -> inputNames.add(i.getName()));
    List<Onnx.TensorProto> inits = new ArrayList<>();
    for (Onnx.TensorProto t : model.getGraph().getInitializerList()) {
      boolean isInput = inputNames.contains(t.getName());
      if (isInput ? inputDefaults : read.contains(t.getName())) {
        inits.add(t);
      }
    }
    for (Onnx.TensorProto t : em.constants()) {
      if (read.contains(t.getName())) {
        inits.add(t);
      }
    }
    Onnx.GraphProto graph = Onnx.GraphProto.newBuilder()
        .setName(model.getGraph().getName().isEmpty() ? "train_step"
            : model.getGraph().getName() + "_train_step")
        .addAllNode(nodes)
        .addAllInitializer(inits)
        .addAllInput(inputs)
        .addAllOutput(outputs)
        .build();
    Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder()
        .setIrVersion(Math.max(model.getIrVersion(), 8))
        .setProducerName("zero-init")
        .setDocString(doc)
        .setGraph(graph)
        .addAllFunctions(model.getFunctionsList());
    boolean wroteDefault = false;
    for (Onnx.OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        if (!wroteDefault) {
          m.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("")
              .setVersion(p.shapes.opset()));
          wroteDefault = true;
        }
      } else {
        m.addOpsetImport(o);
      }
    }
    if (!wroteDefault) {
      m.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("")
          .setVersion(p.shapes.opset()));
    }
    m.addAllMetadataProps(model.getMetadataPropsList());
    return m.build();
  }

  static Onnx.ValueInfoProto valueInfo(ShapeInference shapes, String name, int elemType,
      long[] dims) {
    Map<Long, String> params = shapes.symbolNames();
    Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
    for (long d : dims) {
      Onnx.TensorShapeProto.Dimension.Builder b = shape.addDimBuilder();
      if (d >= 0) {
        b.setDimValue(d);
      } else if (params.containsKey(d)) {
        b.setDimParam(params.get(d));
      }
    }
    return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
        .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)))
        .build();
  }

  /** The forward graph read for a builder: shapes, names in use, batch inputs, initializers. */
  static final class Prepared {
    final ShapeInference shapes;
    final Set<String> names = new HashSet<>();
    final Set<String> known = new HashSet<>();
    final Map<String, Onnx.TensorProto> initializers = new LinkedHashMap<>();
    final List<Onnx.ValueInfoProto> batchInputs = new ArrayList<>();

    private Prepared(ShapeInference shapes) {
      this.shapes = shapes;
    }

    static Prepared of(Onnx.ModelProto model, long batchSize) {
      int opset = -1;
      for (Onnx.OperatorSetIdProto o : model.getOpsetImportList()) {
        if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
          opset = (int) o.getVersion();
        }
      }
      if (opset < 13) {
        throw new TrainGraphException("the model uses opset " + opset + " of the default domain;"
            + " the training-step builder needs " + MIN_OPSET + " or later (convert it with"
            + " onnx.version_converter)");
      }
      Onnx.GraphProto g = model.getGraph();
      if (g.getOutputCount() == 0) {
        throw new TrainGraphException("the model has no output");
      }
      Prepared p = new Prepared(new ShapeInference(Math.max(opset, STEP_OPSET)));
      for (Onnx.TensorProto t : g.getInitializerList()) {
        p.initializers.put(t.getName(), t);
        p.shapes.initializer(t);
        p.names.add(t.getName());
        p.known.add(t.getName());
      }
      g.getValueInfoList().forEach(p.shapes::hint);
      g.getOutputList().forEach(p.shapes::hint);
      for (Onnx.ValueInfoProto vi : g.getInputList()) {
        p.names.add(vi.getName());
        p.known.add(vi.getName());
        if (p.initializers.containsKey(vi.getName())) {
          continue;
        }
        Onnx.ValueInfoProto fixed = withBatch(vi, batchSize);
        p.batchInputs.add(fixed);
        p.shapes.input(fixed);
      }
      for (Onnx.NodeProto n : g.getNodeList()) {
        p.names.add(n.getName());
        for (String o : n.getOutputList()) {
          p.names.add(o);
        }
      }
      g.getOutputList().forEach(o -> p.names.add(o.getName()));
      g.getValueInfoList().forEach(o -> p.names.add(o.getName()));
      p.names.remove("");
      return p;
    }

    /** The input with its first dim set to {@code batch} when it is not a fixed size. */
    static Onnx.ValueInfoProto withBatch(Onnx.ValueInfoProto vi, long batch) {
      if (batch <= 0 || !vi.getType().hasTensorType()
          || !vi.getType().getTensorType().hasShape()
          || vi.getType().getTensorType().getShape().getDimCount() == 0) {
        return vi;
      }
      Onnx.TensorShapeProto.Dimension d0 = vi.getType().getTensorType().getShape().getDim(0);
      if (d0.hasDimValue() && d0.getDimValue() > 0) {
        return vi;
      }
      Onnx.ValueInfoProto.Builder b = vi.toBuilder();
      b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0)
          .clearDimParam().setDimValue(batch);
      return b.build();
    }
  }
}
