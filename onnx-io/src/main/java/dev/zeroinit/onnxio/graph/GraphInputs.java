package dev.zeroinit.onnxio.graph;

import dev.zeroinit.onnxio.proto.Onnx.GraphProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The inputs a caller feeds to a graph: its declared inputs less those an initializer of the same
 * name defines (models of IR version below 4 list every initializer as an input too).
 */
public final class GraphInputs {
  private GraphInputs() {}

  /** The fed inputs of {@code graph}, in declaration order. */
  public static List<ValueInfoProto> fed(GraphProto graph) {
    Set<String> inits = new HashSet<>();
    for (TensorProto t : graph.getInitializerList()) {
      inits.add(t.getName());
    }
    return graph.getInputList().stream().filter(v -> !inits.contains(v.getName())).toList();
  }
}
