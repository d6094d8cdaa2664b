package dev.zeroinit.finetune;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test helper: runs a {@link TrainStepGraph} step by step on ONNX Runtime with host copies of the
 * carried values (parameters start from the model's initializers, optimizer state from zeros).
 */
final class StepRunner implements AutoCloseable {
  final TrainStepGraph graph;
  final OrtSession session;
  final Map<String, Ort.Value> carried = new LinkedHashMap<>();
  Map<String, double[]> last;

  StepRunner(TrainStepGraph graph) throws OrtException {
    this.graph = graph;
    this.session = Ort.session(graph.model());
    for (TrainStepGraph.Carried c : graph.carried()) {
      Onnx.TensorProto t = graph.initialValue(c);
      if (c.role() == TrainStepGraph.Role.STEP) {
        carried.put(c.input(), Ort.Value.ofInts(new long[0], new long[] {0}));
      } else {
        carried.put(c.input(), Ort.Value.ofFloats(c.elemType(), c.dims(), decode(t)));
      }
    }
  }

  static double[] decode(Onnx.TensorProto t) {
    try {
      return TensorCodec.decode(t);
    } catch (InvalidModelException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The current value of a carried input. */
  double[] value(String name) {
    return carried.get(name).floats();
  }

  /** Runs the step with some carried values replaced, without advancing; returns every output. */
  Map<String, double[]> evaluate(Map<String, Ort.Value> batch, double lr,
      Map<String, Ort.Value> overrides) throws OrtException {
    Map<String, Ort.Value> feed = new HashMap<>(batch);
    int ft = graph.carried().get(0).elemType();
    feed.put(graph.learningRateInput(), Ort.Value.ofFloats(ft, new long[0], new double[] {lr}));
    feed.putAll(carried);
    feed.putAll(overrides);
    return Ort.run(session, feed);
  }

  /** One step; the carried values advance; returns every output. */
  Map<String, double[]> step(Map<String, Ort.Value> batch, double lr) throws OrtException {
    Map<String, Ort.Value> feed = new HashMap<>(batch);
    int ft = graph.carried().get(0).elemType();
    feed.put(graph.learningRateInput(), Ort.Value.ofFloats(ft, new long[0], new double[] {lr}));
    feed.putAll(carried);
    Map<String, double[]> out = Ort.run(session, feed);
    for (TrainStepGraph.Carried c : graph.carried()) {
      double[] v = out.get(c.output());
      if (c.elemType() == DataType.INT64_VALUE) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) {
          l[i] = (long) v[i];
        }
        carried.put(c.input(), Ort.Value.ofInts(c.dims(), l));
      } else {
        carried.put(c.input(), Ort.Value.ofFloats(c.elemType(), c.dims(), v));
      }
    }
    last = out;
    return out;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
