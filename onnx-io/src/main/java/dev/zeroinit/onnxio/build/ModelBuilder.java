package dev.zeroinit.onnxio.build;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds an {@link Onnx.ModelProto} around one {@link GraphBuilder}: IR version 8, the default
 * {@code ai.onnx} opset (17 unless set), producer "zero-init". Typical use:
 *
 * <pre>{@code
 * ModelBuilder m = new ModelBuilder("tiny").seed(7);
 * GraphBuilder g = m.graph();
 * String x = g.input("input", DataType.FLOAT, -1, 4);
 * g.output(g.rename(g.gemm(x, 2, true), "logits"));
 * Onnx.ModelProto model = m.build();
 * }</pre>
 */
public final class ModelBuilder {
  /** The IR version written (ONNX 1.10 and later read it; ONNX Runtime accepts it). */
  public static final long IR_VERSION = 8;
  /** The default opset of the {@code ai.onnx} domain. */
  public static final int DEFAULT_OPSET = 17;
  /** The producer name written into every model. */
  public static final String PRODUCER = "zero-init";

  private final GraphBuilder graph;
  private int opset = DEFAULT_OPSET;
  private String docString = "";
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /** A model whose graph is named "main". */
  public ModelBuilder() {
    this("main");
  }

  /** A model whose graph is named {@code graphName}. */
  public ModelBuilder(String graphName) {
    this.graph = new GraphBuilder(graphName);
  }

  /** The graph to add inputs, nodes and outputs to. */
  public GraphBuilder graph() {
    return graph;
  }

  /** Sets the seed of the graph's weights (see {@link GraphBuilder#seed(long)}). */
  public ModelBuilder seed(long seed) {
    graph.seed(seed);
    return this;
  }

  /** Sets the {@code ai.onnx} opset version. */
  public ModelBuilder opset(int version) {
    if (version < 1) {
      throw new IllegalArgumentException("opset version must be positive: " + version);
    }
    this.opset = version;
    return this;
  }

  /** Sets the model's doc string. */
  public ModelBuilder docString(String docString) {
    this.docString = docString;
    return this;
  }

  /** Adds a {@code metadata_props} entry. */
  public ModelBuilder metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** The model as built so far. */
  public Onnx.ModelProto build() {
    Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setProducerName(PRODUCER)
        .setGraph(graph.build());
    if (!docString.isEmpty()) {
      m.setDocString(docString);
    }
    metadata.forEach((k, v) ->
        m.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return m.build();
  }
}
