package dev.zeroinit.init;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Runs small models on ONNX Runtime's CPU provider, for tests. */
final class OrtRunner {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private OrtRunner() { }

  /** A float tensor: values and shape. */
  record Tensor(float[] values, long[] shape) {
    static Tensor random(long seed, long... shape) {
      int n = 1;
      for (long d : shape) {
        n *= (int) d;
      }
      SplittableRandom r = new SplittableRandom(seed);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) (r.nextDouble() * 2 - 1);
      }
      return new Tensor(v, shape);
    }
  }

  /** Runs {@code model} with the given float inputs; returns the first output. */
  static Tensor run(ModelProto model, Map<String, Tensor> inputs) throws OrtException {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      try (OrtSession session = ENV.createSession(model.toByteArray(), opts)) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
          for (var e : inputs.entrySet()) {
            feed.put(e.getKey(), OnnxTensor.createTensor(ENV, FloatBuffer.wrap(e.getValue().values()),
                e.getValue().shape()));
          }
          try (OrtSession.Result result = session.run(feed)) {
            OnnxTensor out = (OnnxTensor) result.get(0);
            FloatBuffer fb = out.getFloatBuffer();
            float[] values = new float[fb.remaining()];
            fb.get(values);
            return new Tensor(values, out.getInfo().getShape());
          }
        } finally {
          feed.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  static Tensor run(ModelProto model, String input, Tensor x) throws OrtException {
    return run(model, Map.of(input, x));
  }
}
