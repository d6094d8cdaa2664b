import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The floor for the signal check's cost: one bare ONNX Runtime inference of a model on the CPU
 * provider, nothing else (no reader, no planner, no probes, no second run, no statistics). Float
 * inputs only, standard normal, symbolic dims set to the batch. Prints one line of timings.
 *
 *   javac -cp cli/target/lib/onnxruntime_gpu-1.26.0.jar -d OUT bench/BareInference.java
 *   java -cp OUT:cli/target/lib/onnxruntime_gpu-1.26.0.jar BareInference MODEL.onnx BATCH THREADS
 */
public class BareInference {
  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    String model = args[0];
    int batch = Integer.parseInt(args[1]);
    int threads = Integer.parseInt(args[2]);
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "bare");
    long t1 = System.nanoTime();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(threads);
      try (OrtSession s = env.createSession(model, o)) {
        long t2 = System.nanoTime();
        Map<String, OnnxTensor> feed = new HashMap<>();
        SplittableRandom r = new SplittableRandom(0);
        for (Map.Entry<String, NodeInfo> e : s.getInputInfo().entrySet()) {
          TensorInfo ti = (TensorInfo) e.getValue().getInfo();
          if (ti.type != OnnxJavaType.FLOAT) {
            throw new IllegalArgumentException("float inputs only: " + e.getKey() + " is " + ti.type);
          }
          long[] shape = ti.getShape();
          int n = 1;
          for (int d = 0; d < shape.length; d++) {
            shape[d] = shape[d] < 0 ? batch : shape[d];
            n *= (int) shape[d];
          }
          FloatBuffer f = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
          for (int i = 0; i < n; i++) {
            f.put((float) r.nextGaussian());
          }
          feed.put(e.getKey(), OnnxTensor.createTensor(env, f.flip(), shape));
        }
        long t3 = System.nanoTime();
        try (OrtSession.Result res = s.run(feed)) {
          long t4 = System.nanoTime();
          System.out.printf(Locale.ROOT, "bare: env %.3f s, session %.3f s, inputs %.3f s, run %.3f s, in-process total %.3f s (%d outputs)%n",
              (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t4 - t0) / 1e9, res.size());
        } finally {
          feed.values().forEach(OnnxTensor::close);
        }
      }
    }
  }
}
