package dev.zeroinit.finetune.train;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The forward graph for evaluation during training: the initializers the training changes become
 * inputs (fed with the step's current output tensors, so the parameters never pass through Java
 * arrays), and only the output the loss reads is kept.
 */
final class EvalGraph {
  private EvalGraph() {}

  static Onnx.ModelProto of(Onnx.ModelProto forward, Collection<String> fed, String output) {
    Set<String> fedSet = new HashSet<>(fed);
    Onnx.GraphProto g = forward.getGraph();
    Onnx.GraphProto.Builder b = g.toBuilder().clearInitializer().clearOutput();
    Set<String> inputs = new HashSet<>();
    g.getInputList().forEach(i -> inputs.add(i.getName()));
    for (Onnx.TensorProto t : g.getInitializerList()) {
      if (!fedSet.contains(t.getName())) {
        b.addInitializer(t);
        continue;
      }
      if (inputs.contains(t.getName())) {
        continue; // already declared as an input (old exporters list initializers there too)
      }
      Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
      for (long d : t.getDimsList()) {
        shape.addDimBuilder().setDimValue(d);
      }
      b.addInput(Onnx.ValueInfoProto.newBuilder().setName(t.getName()).setType(
          Onnx.TypeProto.newBuilder().setTensorType(Onnx.TypeProto.Tensor.newBuilder()
              .setElemType(t.getDataType()).setShape(shape))));
    }
    for (Onnx.ValueInfoProto o : g.getOutputList()) {
      if (o.getName().equals(output)) {
        b.addOutput(o);
      }
    }
    return forward.toBuilder().setGraph(b).build();
  }
}
