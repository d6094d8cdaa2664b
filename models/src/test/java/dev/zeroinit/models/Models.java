package dev.zeroinit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;

/** Test helpers: parameter counts and one ONNX Runtime (CPU) run of a float model. */
final class Models {
  private Models() {}

  static long parameterCount(Onnx.ModelProto model) {
    long n = 0;
    for (Onnx.TensorProto t : model.getGraph().getInitializerList()) {
      long c = 1;
      for (long d : t.getDimsList()) {
        c *= d;
      }
      n += c;
    }
    return n;
  }

  static long count(Onnx.ModelProto model, String opType) {
    return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).count();
  }

  /** A deterministic input of the given shape, values uniform in [-1, 1). */
  static float[] input(long seed, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[Math.toIntExact(n)];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 * r.nextDouble() - 1);
    }
    return x;
  }

  /**
   * Runs {@code model} once on ONNX Runtime's CPU provider with "input" = {@code x}, checks that
   * "logits" has shape {@code expected} and is finite, and returns it flattened.
   */
  static float[] runOnce(Onnx.ModelProto model, float[] x, long[] inputShape, long... expected)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(2);
      try (OrtSession session = env.createSession(model.toByteArray(), opts);
          OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), inputShape);
          OrtSession.Result result = session.run(Map.of("input", in))) {
        OnnxTensor out = (OnnxTensor) result.get("logits").orElseThrow();
        assertArrayEquals(expected, out.getInfo().getShape());
        FloatBuffer fb = out.getFloatBuffer();
        float[] values = new float[fb.remaining()];
        fb.get(values);
        for (float v : values) {
          assertTrue(Float.isFinite(v), "non-finite logit " + v);
        }
        return values;
      }
    }
  }
}
