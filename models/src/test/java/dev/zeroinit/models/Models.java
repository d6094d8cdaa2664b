package dev.zeroinit.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.SplittableRandom;

/** Test helpers: parameter counts and one ONNX Runtime (CPU) run of a model. */
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

  /**
   * Trainable parameters, the convention of PyTorch's {@code sum(p.numel() for p in
   * model.parameters())}: every initializer element except the running mean and variance of
   * BatchNormalization (inputs 3 and 4), which are buffers, not parameters. Constants that are not
   * weights (shapes, masks) must be Constant nodes, not initializers, to stay out of the count.
   */
  static long trainableParameterCount(Onnx.ModelProto model) {
    java.util.Set<String> buffers = new java.util.HashSet<>();
    for (Onnx.NodeProto n : model.getGraph().getNodeList()) {
      if (n.getOpType().equals("BatchNormalization")) {
        buffers.add(n.getInput(3));
        buffers.add(n.getInput(4));
      }
    }
    long n = 0;
    for (Onnx.TensorProto t : model.getGraph().getInitializerList()) {
      if (!buffers.contains(t.getName())) {
        long c = 1;
        for (long d : t.getDimsList()) {
          c *= d;
        }
        n += c;
      }
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

  /**
   * Runs a language model once on ONNX Runtime's CPU provider with "input_ids" = {@code ids}
   * [batch, seq], checks that "logits" is [batch, seq, vocab] and finite, and returns it flattened.
   */
  static float[] runLm(Onnx.ModelProto model, long[] ids, int batch, int seq, int vocab)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(2);
      try (OrtSession session = env.createSession(model.toByteArray(), opts);
          OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids),
              new long[] {batch, seq});
          OrtSession.Result result = session.run(Map.of("input_ids", in))) {
        OnnxTensor out = (OnnxTensor) result.get("logits").orElseThrow();
        assertArrayEquals(new long[] {batch, seq, vocab}, out.getInfo().getShape());
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
