package dev.zeroinit.onnxio.graph;

import dev.zeroinit.onnxio.TensorWalker;
import dev.zeroinit.onnxio.proto.Onnx.FunctionProto;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The graph index of a whole model: the main graph (with its subgraphs) and the body of every
 * model-local function. Training-info graphs are not indexed: they describe training, not the
 * network whose weights ZerO initializes.
 */
public final class ModelIndex {
  private final GraphIndex main;
  private final List<GraphIndex> functions;

  private ModelIndex(GraphIndex main, List<GraphIndex> functions) {
    this.main = main;
    this.functions = functions;
  }

  public static ModelIndex of(ModelProto model) {
    GraphIndex main = GraphIndex.of(model.getGraph(), TensorWalker.MAIN_GRAPH);
    List<GraphIndex> fns = new ArrayList<>();
    for (FunctionProto f : model.getFunctionsList()) {
      fns.add(GraphIndex.ofFunction(f.getNodeList(), f.getInputList(), f.getOutputList(),
          TensorWalker.functionId(f)));
    }
    return new ModelIndex(main, Collections.unmodifiableList(fns));
  }

  public GraphIndex main() {
    return main;
  }

  public List<GraphIndex> functions() {
    return functions;
  }

  /** The main graph, its subgraphs (depth first) and the function bodies with theirs. */
  public List<GraphIndex> allGraphs() {
    List<GraphIndex> all = new ArrayList<>();
    addTree(main, all);
    for (GraphIndex f : functions) {
      addTree(f, all);
    }
    return all;
  }

  private static void addTree(GraphIndex g, List<GraphIndex> out) {
    out.add(g);
    for (GraphIndex s : g.subgraphs()) {
      addTree(s, out);
    }
  }
}
