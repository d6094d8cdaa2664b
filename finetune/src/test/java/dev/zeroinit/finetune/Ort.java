package dev.zeroinit.finetune;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test helper: runs models on ONNX Runtime's CPU provider with values held as Java arrays. */
final class Ort {
  private Ort() {}

  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  /** A host value: type, dims and values (doubles for float types, longs for int64). */
  record Value(int type, long[] dims, double[] floats, long[] ints) {
    static Value ofFloats(int type, long[] dims, double[] v) {
      return new Value(type, dims, v, null);
    }

    static Value ofInts(long[] dims, long[] v) {
      return new Value(DataType.INT64_VALUE, dims, null, v);
    }

    Value with(double[] v) {
      return new Value(type, dims, v, null);
    }

    OnnxTensor tensor() throws OrtException {
      if (ints != null) {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(ints), dims);
      }
      if (type == DataType.DOUBLE_VALUE) {
        return OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(floats), dims);
      }
      float[] f = new float[floats.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) floats[i];
      }
      return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(f), dims);
    }
  }

  static OrtSession session(Onnx.ModelProto model) throws OrtException {
    return session(model, 1);
  }

  static OrtSession session(Onnx.ModelProto model, int threads) throws OrtException {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      o.addConfigEntry("session.intra_op.allow_spinning", "0");
      return ENV.createSession(model.toByteArray(), o);
    }
  }

  /** Runs the session; returns every output as doubles (int outputs converted). */
  static Map<String, double[]> run(OrtSession s, Map<String, Value> inputs) throws OrtException {
    Map<String, OnnxTensor> feed = new HashMap<>();
    try {
      for (Map.Entry<String, Value> e : inputs.entrySet()) {
        feed.put(e.getKey(), e.getValue().tensor());
      }
      try (OrtSession.Result r = s.run(feed)) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, OnnxValue> e : r) {
          out.put(e.getKey(), toDoubles((OnnxTensor) e.getValue()));
        }
        return out;
      }
    } finally {
      feed.values().forEach(OnnxTensor::close);
    }
  }

  static double[] toDoubles(OnnxTensor t) {
    switch (t.getInfo().type) {
      case FLOAT -> {
        FloatBuffer b = t.getFloatBuffer();
        double[] v = new double[b.remaining()];
        for (int i = 0; i < v.length; i++) {
          v[i] = b.get(i);
        }
        return v;
      }
      case DOUBLE -> {
        DoubleBuffer b = t.getDoubleBuffer();
        double[] v = new double[b.remaining()];
        b.get(v);
        return v;
      }
      case INT64 -> {
        LongBuffer b = t.getLongBuffer();
        double[] v = new double[b.remaining()];
        for (int i = 0; i < v.length; i++) {
          v[i] = b.get(i);
        }
        return v;
      }
      default -> throw new IllegalArgumentException("output type " + t.getInfo().type);
    }
  }
}
