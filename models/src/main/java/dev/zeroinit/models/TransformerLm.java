package dev.zeroinit.models;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.build.GraphBuilder;
import dev.zeroinit.onnxio.build.ModelBuilder;
import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A small decoder-only (GPT-style, pre-norm) Transformer language model: "input_ids" int64
 * [batch, seq] to "logits" [batch, seq, vocab].
 *
 * <ul>
 *   <li>Embedding: {@code Gather(embed.tokens [vocab, d], input_ids)} plus the learned positional
 *       table {@code embed.positions [seq, d]} (an Add that broadcasts over the batch).
 *   <li>N blocks, each {@code x = Add(attn(LN(x)), x)} then {@code x = Add(mlp(LN(x)), x)}: the
 *       branch output meets the skip path at a plain Add, as in the CNNs.
 *   <li>Attention: separate q, k, v projections ({@code MatMul} by [d, d] then {@code Add} of a [d]
 *       bias), Reshape to [batch, seq, heads, d/heads] and Transpose to heads, {@code MatMul(q, k^T)},
 *       {@code Mul} by 1/sqrt(d/heads), {@code Add} of the causal mask (a [seq, seq] constant, 0 on
 *       and below the diagonal, a large finite negative above it: -1e9, or the lowest finite value
 *       for FLOAT16, so Softmax stays finite), Softmax over the last axis, {@code MatMul} with v,
 *       heads merged back, output projection MatMul + bias Add.
 *   <li>MLP: MatMul d to 4d + bias, GELU (the {@code Gelu} op from opset 20, else written out as
 *       0.5 x (1 + erf(x / sqrt 2)) with Div, Erf, Add and Mul), MatMul 4d to d + bias.
 *   <li>A final LayerNormalization and the head: a MatMul by the token embedding through a
 *       {@code Transpose} (tied, the default) or by its own [d, vocab] matrix, no bias.
 * </ul>
 *
 * <p>Every initializer is a parameter; the constants that are not (reshape shapes, the score scale,
 * the mask, GELU's numbers) are {@code Constant} nodes. Weights are drawn like PyTorch's defaults
 * (Linear: uniform with bound 1/sqrt(fan_in), biases too); embeddings with standard deviation 0.02
 * (GPT-2); LayerNorm scale in [0.5, 1.5) and bias in [-0.1, 0.1), "trained-looking" like the CNNs'
 * batch norm. Needs opset 17 or later (LayerNormalization).
 */
public final class TransformerLm {
  public static final String NAME = "transformer-lm";
  public static final String DESCRIPTION =
      "decoder-only pre-norm Transformer LM, int64 input_ids [batch, seq] -> logits [batch, seq,"
          + " vocab]; defaults 2 layers, d_model 128, 4 heads, vocab 1000, seq 64, tied head";
  /** The epsilon of every LayerNormalization (PyTorch's default). */
  public static final float LN_EPSILON = 1e-5f;
  /** The additive mask value above the diagonal, for every type but FLOAT16. */
  public static final float MASK = -1e9f;
  private static final double EMBEDDING_BOUND = 0.02 * Math.sqrt(3); // uniform with std 0.02

  private final GraphBuilder g;
  private final int type;
  private final int d;
  private final int heads;
  private final int seq;
  private final int opset;
  private final String splitShape;
  private final String mergeShape;
  private final String scale;
  private final String mask;

  private TransformerLm(GraphBuilder g, ModelOptions o) {
    this.g = g;
    this.type = o.dataType();
    this.d = o.dModel();
    this.heads = o.heads();
    this.seq = o.seq();
    this.opset = o.opset();
    g.scope("");
    int headDim = d / heads;
    splitShape = g.constant("attn.split_heads_shape",
        Tensors.int64Vector("attn.split_heads_shape", -1, seq, heads, headDim));
    mergeShape = g.constant("attn.merge_heads_shape",
        Tensors.int64Vector("attn.merge_heads_shape", -1, seq, d));
    scale = g.constant("attn.scale", scalar("attn.scale", 1 / Math.sqrt(headDim)));
    float neg = type == DataType.FLOAT16_VALUE ? -65504f : MASK;
    float[] m = new float[seq * seq];
    for (int i = 0; i < seq; i++) {
      for (int j = i + 1; j < seq; j++) {
        m[i * seq + j] = neg;
      }
    }
    mask = g.constant("attn.causal_mask",
        Tensors.of("attn.causal_mask", type, new long[] {seq, seq}, m));
  }

  /** Builds the model with the given options (seed, layers, d-model, heads, vocab, seq, tied, type). */
  public static Onnx.ModelProto build(ModelOptions o) {
    if (o.dModel() % o.heads() != 0) {
      throw new IllegalArgumentException(
          "heads (" + o.heads() + ") must divide d-model (" + o.dModel() + ")");
    }
    long largest = Math.max((long) o.seq() * o.seq(),
        Math.max((long) o.vocab() * o.dModel(), 4L * o.dModel() * o.dModel()));
    if (largest > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("seq, vocab or d-model too large: a tensor of the"
          + " transformer LM would hold " + largest + " values");
    }
    if (o.opset() < 17) {
      throw new IllegalArgumentException(
          "the transformer LM needs opset 17 or later (LayerNormalization): " + o.opset());
    }
    ModelBuilder m = new ModelBuilder("transformer_lm").seed(o.seed()).opset(o.opset())
        .docString(DESCRIPTION);
    GraphBuilder g = m.graph();
    g.dimParams("batch");
    String ids = g.input("input_ids", DataType.INT64, -1, o.seq());
    TransformerLm t = new TransformerLm(g, o);
    int d = o.dModel();

    g.scope("embed");
    String tokens = g.randomInitializer("embed.tokens", t.type, new long[] {o.vocab(), d},
        EMBEDDING_BOUND);
    String positions = g.randomInitializer("embed.positions", t.type, new long[] {o.seq(), d},
        EMBEDDING_BOUND);
    String x = t.op("Gather", new long[] {-1, o.seq(), d}, tokens, ids);
    x = g.add(x, positions);

    for (int i = 0; i < o.layers(); i++) {
      String block = "blocks." + i;
      String branch = t.attention(block, t.layerNorm(block + ".ln1", x));
      g.scope(block);
      x = g.add(branch, x);
      branch = t.mlp(block, t.layerNorm(block + ".ln2", x));
      g.scope(block);
      x = g.add(branch, x);
    }
    x = t.layerNorm("ln_f", x);

    g.scope("head");
    String w;
    if (o.tiedEmbeddings()) {
      w = t.op("Transpose", new long[] {d, o.vocab()}, new String[] {tokens},
          Attr.ints("perm", 1, 0));
    } else {
      w = g.randomInitializer("head.weight", t.type, new long[] {d, o.vocab()}, 1 / Math.sqrt(d));
    }
    x = t.op("MatMul", new long[] {-1, o.seq(), o.vocab()}, x, w);
    g.output(g.rename(x, "logits"));
    return m.build();
  }

  /** LayerNormalization over the last axis with its own scale and bias, under scope {@code name}. */
  private String layerNorm(String name, String x) {
    g.scope(name);
    String s = g.initializer(name + ".weight", type, new long[] {d},
        uniform(name + ".weight", d, 0.5, 1.5));
    String b = g.initializer(name + ".bias", type, new long[] {d},
        uniform(name + ".bias", d, -0.1, 0.1));
    return op("LayerNormalization", g.shapeOf(x), new String[] {x, s, b},
        Attr.i("axis", -1), Attr.f("epsilon", LN_EPSILON));
  }

  /** Multi-head causal self-attention of x [batch, seq, d] under scope {@code block}.attn. */
  private String attention(String block, String x) {
    String scope = block + ".attn";
    long[] bshd = {-1, seq, heads, d / heads};
    long[] bhsd = {-1, heads, seq, d / heads};
    long[] bhds = {-1, heads, d / heads, seq};
    long[] bhss = {-1, heads, seq, seq};
    String q = linear(scope + ".q", x, d);
    String k = linear(scope + ".k", x, d);
    String v = linear(scope + ".v", x, d);
    g.scope(scope);
    q = op("Transpose", bhsd, new String[] {op("Reshape", bshd, q, splitShape)},
        Attr.ints("perm", 0, 2, 1, 3));
    k = op("Transpose", bhds, new String[] {op("Reshape", bshd, k, splitShape)},
        Attr.ints("perm", 0, 2, 3, 1));
    v = op("Transpose", bhsd, new String[] {op("Reshape", bshd, v, splitShape)},
        Attr.ints("perm", 0, 2, 1, 3));
    String scores = op("Mul", bhss, op("MatMul", bhss, q, k), scale);
    scores = op("Add", bhss, scores, mask);
    String p = op("Softmax", bhss, new String[] {scores}, Attr.i("axis", -1));
    String o = op("MatMul", bhsd, p, v);
    o = op("Transpose", bshd, new String[] {o}, Attr.ints("perm", 0, 2, 1, 3));
    o = op("Reshape", new long[] {-1, seq, d}, o, mergeShape);
    return linear(scope + ".proj", o, d);
  }

  /** The feed-forward branch d to 4d, GELU, 4d to d, under scope {@code block}.mlp. */
  private String mlp(String block, String x) {
    String h = linear(block + ".mlp.fc", x, 4 * d);
    g.scope(block + ".mlp.gelu");
    h = gelu(h);
    return linear(block + ".mlp.proj", h, d);
  }

  /** GELU (exact, erf form): the op from opset 20, else 0.5 x (1 + erf(x / sqrt 2)). */
  private String gelu(String x) {
    long[] shape = g.shapeOf(x);
    if (opset >= 20) {
      return op("Gelu", shape, x);
    }
    String sqrt2 = constant("sqrt2", Math.sqrt(2));
    String one = constant("one", 1);
    String half = constant("half", 0.5);
    String e = op("Erf", shape, op("Div", shape, x, sqrt2));
    return op("Mul", shape, op("Mul", shape, x, op("Add", shape, e, one)), half);
  }

  /**
   * x [..., K] times a weight [K, out] plus a bias [out] (MatMul then Add), under scope
   * {@code name}: initializers {@code name.weight}, {@code name.bias}.
   */
  private String linear(String name, String x, int out) {
    g.scope(name);
    long[] in = g.shapeOf(x);
    long k = in[in.length - 1];
    double bound = 1 / Math.sqrt(k);
    String w = g.randomInitializer(name + ".weight", type, new long[] {k, out}, bound);
    String b = g.randomInitializer(name + ".bias", type, new long[] {out}, bound);
    long[] shape = in.clone();
    shape[shape.length - 1] = out;
    return op("Add", shape, op("MatMul", shape, x, w), b);
  }

  private String op(String opType, long[] shape, String... inputs) {
    return op(opType, shape, inputs, new Onnx.AttributeProto[0]);
  }

  private String op(String opType, long[] shape, String[] inputs,
      Onnx.AttributeProto... attributes) {
    String out = g.op(opType, inputs, attributes);
    g.declare(out, type, shape);
    return out;
  }

  /** A scalar Constant of the model's type, named under the current scope. */
  private String constant(String name, double value) {
    String n = g.fresh(name);
    return g.constant(n, scalar(n, value));
  }

  private Onnx.TensorProto scalar(String name, double value) {
    return Tensors.of(name, type, new long[0], new double[] {value});
  }

  /**
   * {@code n} values uniform in [lo, hi) from the seeded stream of {@code name}: GraphBuilder draws
   * symmetric ranges only, so draw [-w, w) with w = (hi - lo) / 2 on a scratch builder of the same
   * seed (a tensor's values depend only on the seed and its name) and shift by the centre.
   */
  private float[] uniform(String name, int n, double lo, double hi) {
    GraphBuilder scratch = new GraphBuilder("scratch", g.seed());
    scratch.randomInitializer(name, DataType.FLOAT_VALUE, new long[] {n}, (hi - lo) / 2);
    FloatBuffer raw = scratch.build().getInitializer(0).getRawData().asReadOnlyByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] v = new float[n];
    double centre = (hi + lo) / 2;
    for (int i = 0; i < n; i++) {
      v[i] = (float) (raw.get(i) + centre);
    }
    return v;
  }
}
