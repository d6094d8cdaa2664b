package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * The gradient of any scalar output of a model with respect to chosen inputs or initializers, as
 * one ONNX model: its outputs are the loss and {@code NAME.grad} for each requested value; requested
 * initializers become inputs (with their values as defaults). The same rules as the training-step
 * graph (BatchNormalization in training mode, Dropout the identity). Useful for gradient checks and
 * for the backward half of a signal report. ONNX Runtime's Java API cannot feed inputs that have
 * initializer defaults: there, feed only the model's own inputs and the defaults are used.
 */
public final class GradientGraph {
  private GradientGraph() {}

  /**
   * @param model a model of opset 11 or later
   * @param lossOutput a scalar output of the model
   * @param wrt graph inputs or float initializers to differentiate by
   */
  public static Onnx.ModelProto build(Onnx.ModelProto model, String lossOutput, List<String> wrt) {
    model = OpsetUpgrade.apply(model);
    TrainingGraphBuilder.Prepared p = TrainingGraphBuilder.Prepared.of(model, 0);
    Onnx.GraphProto g = model.getGraph();
    Onnx.ValueInfoProto lossInfo = g.getOutputList().stream()
        .filter(o -> o.getName().equals(lossOutput)).findFirst()
        .orElseThrow(() -> new TrainGraphException("the model has no output '" + lossOutput + "'"));
    int floatType = lossInfo.getType().getTensorType().getElemType();
    Emitter em = new Emitter(p.shapes, floatType, p.names);
    for (String w : wrt) {
      if (!p.known.contains(w)) {
        throw new TrainGraphException("'" + w + "' is neither an input nor an initializer");
      }
      em.reserve(w + ".grad");
    }
    Backprop bp = new Backprop(g.getNodeList(), p.known, em, GradientRules.standard(), wrt,
        new HashSet<>());
    bp.forward();
    em.scope("seed");
    long[] ld = em.dims(lossOutput);
    String seed = ld != null && ld.length == 0 ? em.scalar(1, floatType)
        : em.node("ConstantOfShape", new String[] {em.shapeOf(lossOutput)},
            dev.zeroinit.onnxio.build.Attr.t("value", dev.zeroinit.onnxio.build.Tensors.of(null,
                floatType, new long[] {1}, new double[] {1})));
    Map<String, String> grads = bp.backward(Map.of(lossOutput, seed), wrt);
    List<Onnx.ValueInfoProto> inputs = new ArrayList<>(p.batchInputs);
    List<Onnx.ValueInfoProto> outputs = new ArrayList<>();
    outputs.add(lossInfo);
    for (String w : wrt) {
      String gr = grads.get(w);
      String name = w + ".grad";
      em.add("Identity", new String[] {gr == null ? em.zerosLike(w) : gr}, new String[] {name});
      TensorInfo info = p.shapes.info(w);
      long[] dims = info.dims() == null ? new long[0] : info.dims();
      outputs.add(TrainingGraphBuilder.valueInfo(p.shapes, name, info.elemType(), dims));
      Onnx.TensorProto init = p.initializers.get(w);
      if (init != null) {
        inputs.add(TrainingGraphBuilder.valueInfo(p.shapes, w, init.getDataType(),
            init.getDimsList().stream().mapToLong(Long::longValue).toArray()));
      }
    }
    return TrainingGraphBuilder.assemble(model, p, em, inputs, outputs,
        "zero-init gradient of " + lossOutput, true);
  }
}
