package dev.zeroinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto;
import dev.zeroinit.onnxio.proto.Onnx.TensorShapeProto;
import dev.zeroinit.onnxio.proto.Onnx.ValueInfoProto;
import dev.zeroinit.onnxio.tensor.DataType;
import dev.zeroinit.onnxio.tensor.TensorCodec;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real PyTorch exports (../shared/models, see its README): each is rewritten, written, read back and
 * run once on ONNX Runtime (CPU); the plan matches what the README says the file contains.
 */
class SharedModelsTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  /**
   * Expected plan per file: weight tensors rewritten (one per Gemm/MatMul/Conv/ConvTranspose weight
   * in the README, shared ones once), skipped tensors, and the per-rule counts.
   */
  static Stream<Arguments> models() {
    return Stream.of(
        // 26 Conv weights; the zero biases are de-duplicated by the exporter into 8 tensors
        expect("squeezenet1_1_opset13.onnx", 26, 0, "partial-identity=8 hadamard=18 zero=8"),
        expect("squeezenet1_1_external/squeezenet1_1.onnx", 26, 0, "partial-identity=8 hadamard=18 zero=8"),
        // 52 Conv + 2 Gemm weights (11 depthwise convs are 1x1 identities per group); the 6 inverted
        // residual blocks end in a channel-decreasing projection conv, zeroed (--residual zero-last)
        expect("mobilenet_v3_small_opset13.onnx", 54, 0, "identity=12 partial-identity=14 hadamard=22 zero=23"),
        expect("mobilenet_v3_small_fp16_opset13.onnx", 54, 0, "identity=12 partial-identity=14 hadamard=22 zero=23"),
        // 56 Conv + 1 Gemm
        expect("shufflenet_v2_x0_5_opset13.onnx", 57, 0, "identity=54 partial-identity=1 hadamard=2 zero=5"),
        // 784-256-256-10: 256x784 and 10x256 partial identities, 256x256 identity
        expect("mlp_784_256_256_10_opset11_init_as_inputs.onnx", 3, 0, "identity=1 partial-identity=2 zero=3"),
        // 7 weight-right MatMuls (in_proj, linear1, linear2 per layer, head) + 2 out_proj Gemms;
        // the embedding is skipped; decomposed LayerNorm scale (ones) and biases are reset; the 4
        // residual branches end in out_proj (64x64 identity) and linear2 (64x256), both zeroed
        expect("transformer_lm_opset14.onnx", 9, 1, "hadamard=5 zero=9 one=1"),
        expect("transformer_lm_nofold_opset14.onnx", 9, 1, "hadamard=5 zero=9 one=1"),
        // Gemm 16->24 and MatMul 32->5; LSTM W, R, B skipped
        expect("lstm_classifier_opset13.onnx", 2, 3, "partial-identity=1 hadamard=1 zero=2"),
        expect("conv1d_audio_opset13.onnx", 6, 0, "identity=2 partial-identity=1 hadamard=3 zero=5"),
        expect("conv3d_tiny_opset13.onnx", 4, 0, "identity=1 partial-identity=1 hadamard=2 zero=4"),
        // 4 ConvTranspose weights (channel-decreasing: partial identities); 3 BatchNorms reset
        expect("dcgan_generator_opset13.onnx", 4, 0, "partial-identity=4 zero=4 one=3"),
        expect("small_cnn_float64_opset13.onnx", 3, 0, "partial-identity=1 hadamard=2 zero=3"),
        expect("mlp_bfloat16_opset13.onnx", 3, 0, "identity=1 partial-identity=2 zero=3"),
        // 8 distinct weights behind 10 consumers (one shared by two Gemms, one twin via Identity)
        expect("linear_variants_opset13.onnx", 8, 0, "identity=2 partial-identity=4 hadamard=2 zero=8"));
  }

  private static Arguments expect(String file, int weights, int skipped, String rules) {
    return Arguments.of(file, weights, skipped, rules);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void realExportIsRewrittenReloadedAndRuns(String file, int weights, int skipped, String rules,
      @TempDir Path dir) throws Exception {
    Path input = Fixtures.sharedModels().resolve(file);
    assertTrue(Files.isRegularFile(input), "missing fixture " + input);
    byte[] inputBefore = Files.readAllBytes(input);
    Path output = dir.resolve("out.onnx");
    RewriteJob.Result r = RewriteJob.run(input, output, PlanOptions.defaults(), WriteOptions.defaults(),
        Map.of("dev.zeroinit.version", "test"));
    Plan plan = r.plan();

    long weightCount = plan.rewritten().stream().filter(e -> e.role() == Role.WEIGHT).count();
    assertEquals(weights, weightCount, "weight tensors rewritten");
    assertEquals(skipped, plan.skipped().size(), "skipped: " + plan.skipped());
    assertEquals(rules, ruleCounts(plan), "rules");
    assertTrue(java.util.Arrays.equals(inputBefore, Files.readAllBytes(input)), "input unchanged");

    try (OnnxModel original = OnnxModel.read(input); OnnxModel rewritten = OnnxModel.read(output)) {
      assertEquals(original.externalRegions().size(), rewritten.externalRegions().size(),
          "external data layout kept");
      checkValues(plan, rewritten);
      runOnOrt(original.proto(), input, rewritten, output);
    }
  }

  /** Every rewritten tensor holds exactly the planned values, in its own data type. */
  private static void checkValues(Plan plan, OnnxModel rewritten) throws Exception {
    Map<String, TensorProto> byName = new HashMap<>();
    dev.zeroinit.onnxio.TensorWalker.visit(rewritten.proto(), (site, t) -> byName.put(site.graphId() + "/" + site.name(), t));
    for (PlanEntry e : plan.rewritten()) {
      TensorProto t = byName.get(e.site().graphId() + "/" + e.site().name());
      assertEquals(e.dataType(), DataType.fromCode(t.getDataType()).onnxName(), e.name());
      double[] actual = TensorCodec.decode(t, rewritten.rawBytes(e.site(), t));
      double[] expected = new double[actual.length];
      Rewriter.storedValues(e, plan.options()).forEachNonZero((i, v) -> expected[(int) i] = v);
      DataType type = DataType.fromCode(t.getDataType());
      for (int i = 0; i < expected.length; i++) {
        double want = roundTo(type, expected[i]);
        if (Double.compare(want, actual[i]) != 0) {
          assertEquals(want, actual[i], 0.0, e.name() + "[" + i + "]");
        }
      }
    }
  }

  private static double roundTo(DataType type, double v) {
    return switch (type) {
      case FLOAT -> (float) v;
      case FLOAT16 -> dev.zeroinit.onnxio.tensor.Float16.toDouble(dev.zeroinit.onnxio.tensor.Float16.fromDouble(v));
      case BFLOAT16 -> dev.zeroinit.onnxio.tensor.BFloat16.toDouble(dev.zeroinit.onnxio.tensor.BFloat16.fromDouble(v));
      default -> v;
    };
  }

  private static String ruleCounts(Plan plan) {
    StringBuilder b = new StringBuilder();
    plan.countsByRule().forEach((rule, n) -> {
      if (!rule.equals("skipped") && n > 0) {
        b.append(b.length() == 0 ? "" : " ").append(rule).append('=').append(n);
      }
    });
    return b.toString();
  }

  /**
   * Runs the rewritten model once; outputs must be finite and shaped like the original's. Where ONNX
   * Runtime has no kernel for the model's type (bfloat16 Gemm on CPU), the original must fail the same
   * way, so the limitation is the runtime's, not the rewrite's.
   */
  private static void runOnOrt(ModelProto original, Path originalFile, OnnxModel rewritten, Path file) throws Exception {
    String originalError = null;
    List<long[]> originalShapes = null;
    try {
      originalShapes = run(null, originalFile, original);
    } catch (OrtException e) {
      originalError = e.getMessage();
    }
    if (originalError != null) {
      String err = null;
      try {
        run(null, file, rewritten.proto());
      } catch (OrtException e) {
        err = e.getMessage();
      }
      assertTrue(err != null && err.contains("NOT_IMPLEMENTED") && originalError.contains("NOT_IMPLEMENTED"),
          "only a runtime limitation may stop a run: original: " + originalError + " rewritten: " + err);
      System.out.println(originalFile.getFileName() + ": ONNX Runtime CPU cannot run this model type (" + firstLine(err) + ")");
      return;
    }
    List<long[]> shapes = run(null, file, rewritten.proto());
    assertEquals(originalShapes.size(), shapes.size());
    for (int i = 0; i < shapes.size(); i++) {
      assertTrue(java.util.Arrays.equals(originalShapes.get(i), shapes.get(i)), "output shape " + i);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  /** Runs from bytes or a file (external data resolves beside the file); returns output shapes. */
  private static List<long[]> run(byte[] bytes, Path file, ModelProto proto) throws OrtException {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(2);
      try (OrtSession s = bytes != null ? ENV.createSession(bytes, opts) : ENV.createSession(file.toString(), opts)) {
        Map<String, OnnxTensor> feed = synthesize(proto);
        try (OrtSession.Result result = s.run(feed)) {
          List<long[]> shapes = new java.util.ArrayList<>();
          for (var e : result) {
            OnnxTensor t = (OnnxTensor) e.getValue();
            assertAllFinite(t);
            shapes.add(t.getInfo().getShape());
          }
          return shapes;
        } finally {
          feed.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  private static void assertAllFinite(OnnxTensor t) {
    ByteBuffer raw = t.getByteBuffer().order(ByteOrder.nativeOrder());
    switch (t.getInfo().type) {
      case FLOAT -> {
        FloatBuffer f = raw.asFloatBuffer();
        while (f.hasRemaining()) {
          assertFalse(!Float.isFinite(f.get()), "non-finite output");
        }
      }
      case DOUBLE -> {
        DoubleBuffer d = raw.asDoubleBuffer();
        while (d.hasRemaining()) {
          assertFalse(!Double.isFinite(d.get()), "non-finite output");
        }
      }
      case FLOAT16 -> {
        while (raw.remaining() >= 2) {
          assertFalse((raw.getShort() & 0x7C00) == 0x7C00, "non-finite float16 output");
        }
      }
      default -> { }
    }
  }

  /** Seeded inputs: batch 2, sequence 8, audio 1600 samples; token ids below 1000. */
  private static Map<String, OnnxTensor> synthesize(ModelProto proto) throws OrtException {
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    java.util.Set<String> inits = new java.util.HashSet<>();
    proto.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
    SplittableRandom r = new SplittableRandom(42);
    for (ValueInfoProto v : proto.getGraph().getInputList()) {
      if (inits.contains(v.getName())) {
        continue;
      }
      var tt = v.getType().getTensorType();
      long[] shape = new long[tt.getShape().getDimCount()];
      int n = 1;
      for (int d = 0; d < shape.length; d++) {
        TensorShapeProto.Dimension dim = tt.getShape().getDim(d);
        shape[d] = dim.hasDimValue() ? dim.getDimValue() : d == 0 ? 2 : d == shape.length - 1 && shape.length == 3 && v.getName().equals("waveform") ? 1600 : 8;
        n *= (int) shape[d];
      }
      int type = tt.getElemType();
      ByteBuffer buf = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.nativeOrder());
      switch (type) {
        case TensorProto.DataType.FLOAT_VALUE -> {
          FloatBuffer f = buf.asFloatBuffer();
          for (int i = 0; i < n; i++) {
            f.put((float) r.nextGaussian());
          }
          feed.put(v.getName(), OnnxTensor.createTensor(ENV, f.flip(), shape));
        }
        case TensorProto.DataType.DOUBLE_VALUE -> {
          DoubleBuffer f = buf.asDoubleBuffer();
          for (int i = 0; i < n; i++) {
            f.put(r.nextGaussian());
          }
          feed.put(v.getName(), OnnxTensor.createTensor(ENV, f.flip(), shape));
        }
        case TensorProto.DataType.INT64_VALUE -> {
          LongBuffer f = buf.asLongBuffer();
          for (int i = 0; i < n; i++) {
            f.put(r.nextInt(1000));
          }
          feed.put(v.getName(), OnnxTensor.createTensor(ENV, f.flip(), shape));
        }
        case TensorProto.DataType.FLOAT16_VALUE, TensorProto.DataType.BFLOAT16_VALUE -> {
          boolean half = type == TensorProto.DataType.FLOAT16_VALUE;
          ByteBuffer b = ByteBuffer.allocateDirect(n * 2).order(ByteOrder.nativeOrder());
          for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            b.putShort(half ? dev.zeroinit.onnxio.tensor.Float16.fromDouble(g)
                : dev.zeroinit.onnxio.tensor.BFloat16.fromDouble(g));
          }
          b.flip();
          feed.put(v.getName(), OnnxTensor.createTensor(ENV, b, shape,
              half ? OnnxJavaType.FLOAT16 : OnnxJavaType.BFLOAT16));
        }
        default -> throw new IllegalStateException("no synthesizer for type " + type);
      }
    }
    return feed;
  }
}
