package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.HashMap;
import java.util.Map;

/**
 * A plain-Java float64 interpreter of the few ops the step tests' small CNN uses (Conv 2-D, group 1;
 * BatchNormalization in training mode; Relu; MaxPool; GlobalAveragePool; Flatten; Gemm with
 * transB), ending in the mean softmax cross-entropy of the output "logits". Written from the ops'
 * definitions, independent of the step graph's rules.
 */
final class JavaReference {
  private final Onnx.GraphProto graph;

  JavaReference(Onnx.GraphProto graph) {
    this.graph = graph;
  }

  private record T(long[] dims, double[] v) {}

  /**
   * The loss at the given initializer values. {@code stats} receives, per BatchNormalization
   * (keyed by its scale's name without ".weight"), the batch mean, population variance and count.
   */
  double loss(Map<String, double[]> inits, double[] x, long[] xDims, long[] labels,
      Map<String, double[]> stats) {
    Map<String, T> env = new HashMap<>();
    for (Onnx.TensorProto t : graph.getInitializerList()) {
      env.put(t.getName(), new T(t.getDimsList().stream().mapToLong(Long::longValue).toArray(),
          inits.get(t.getName())));
    }
    env.put(graph.getInput(0).getName(), new T(xDims, x));
    for (Onnx.NodeProto n : graph.getNodeList()) {
      T a = env.get(n.getInput(0));
      T out = switch (n.getOpType()) {
        case "Conv" -> conv(n, a, env.get(n.getInput(1)),
            n.getInputCount() > 2 ? env.get(n.getInput(2)) : null);
        case "BatchNormalization" -> batchNorm(n, a, env, stats);
        case "Relu" -> {
          double[] v = a.v().clone();
          for (int i = 0; i < v.length; i++) {
            v[i] = Math.max(0, v[i]);
          }
          yield new T(a.dims(), v);
        }
        case "MaxPool" -> maxPool(n, a);
        case "GlobalAveragePool" -> {
          int nc = (int) (a.dims()[0] * a.dims()[1]);
          int hw = a.v().length / nc;
          double[] v = new double[nc];
          for (int i = 0; i < nc; i++) {
            for (int j = 0; j < hw; j++) {
              v[i] += a.v()[i * hw + j] / hw;
            }
          }
          yield new T(new long[] {a.dims()[0], a.dims()[1], 1, 1}, v);
        }
        case "Flatten" -> new T(new long[] {a.dims()[0], a.v().length / a.dims()[0]}, a.v());
        case "Gemm" -> gemm(a, env.get(n.getInput(1)), env.get(n.getInput(2)));
        default -> throw new IllegalArgumentException(n.getOpType());
      };
      env.put(n.getOutput(0), out);
    }
    T logits = env.get("logits");
    int batch = (int) logits.dims()[0];
    int classes = (int) logits.dims()[1];
    double loss = 0;
    for (int b = 0; b < batch; b++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits.v()[b * classes + k]);
      }
      double s = 0;
      for (int k = 0; k < classes; k++) {
        s += Math.exp(logits.v()[b * classes + k] - max);
      }
      loss -= logits.v()[b * classes + (int) labels[b]] - max - Math.log(s);
    }
    return loss / batch;
  }

  private static long[] ints(Onnx.NodeProto n, String name, long... dflt) {
    long[] v = NodeAttrs.ints(n, name);
    return v == null ? dflt : v;
  }

  private static T conv(Onnx.NodeProto n, T x, T w, T b) {
    int batch = (int) x.dims()[0];
    int cin = (int) x.dims()[1];
    int h = (int) x.dims()[2];
    int wd = (int) x.dims()[3];
    int cout = (int) w.dims()[0];
    int kh = (int) w.dims()[2];
    int kw = (int) w.dims()[3];
    long[] s = ints(n, "strides", 1, 1);
    long[] p = ints(n, "pads", 0, 0, 0, 0);
    int oh = (int) ((h + p[0] + p[2] - kh) / s[0] + 1);
    int ow = (int) ((wd + p[1] + p[3] - kw) / s[1] + 1);
    double[] y = new double[batch * cout * oh * ow];
    for (int bn = 0; bn < batch; bn++) {
      for (int co = 0; co < cout; co++) {
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double acc = b == null ? 0 : b.v()[co];
            for (int ci = 0; ci < cin; ci++) {
              for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                  int r = (int) (i * s[0] - p[0] + u);
                  int c = (int) (j * s[1] - p[1] + v);
                  if (r >= 0 && r < h && c >= 0 && c < wd) {
                    acc += x.v()[((bn * cin + ci) * h + r) * wd + c]
                        * w.v()[((co * cin + ci) * kh + u) * kw + v];
                  }
                }
              }
            }
            y[((bn * cout + co) * oh + i) * ow + j] = acc;
          }
        }
      }
    }
    return new T(new long[] {batch, cout, oh, ow}, y);
  }

  private static T batchNorm(Onnx.NodeProto n, T x, Map<String, T> env,
      Map<String, double[]> stats) {
    double eps = NodeAttrs.f(n, "epsilon", 1e-5f);
    double[] scale = env.get(n.getInput(1)).v();
    double[] bias = env.get(n.getInput(2)).v();
    int batch = (int) x.dims()[0];
    int ch = (int) x.dims()[1];
    int inner = x.v().length / (batch * ch);
    double count = batch * inner;
    double[] mean = new double[ch];
    double[] var = new double[ch];
    for (int c = 0; c < ch; c++) {
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < inner; i++) {
          mean[c] += x.v()[(b * ch + c) * inner + i] / count;
        }
      }
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < inner; i++) {
          double d = x.v()[(b * ch + c) * inner + i] - mean[c];
          var[c] += d * d / count;
        }
      }
    }
    double[] y = new double[x.v().length];
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < ch; c++) {
        for (int i = 0; i < inner; i++) {
          int k = (b * ch + c) * inner + i;
          y[k] = (x.v()[k] - mean[c]) / Math.sqrt(var[c] + eps) * scale[c] + bias[c];
        }
      }
    }
    String base = n.getInput(1).replaceAll("\\.weight$", "");
    stats.put(base + ".mean", mean);
    stats.put(base + ".var", var);
    stats.put(base + ".count", new double[] {count});
    return new T(x.dims(), y);
  }

  private static T maxPool(Onnx.NodeProto n, T x) {
    long[] k = ints(n, "kernel_shape");
    long[] s = ints(n, "strides", 1, 1);
    long[] p = ints(n, "pads", 0, 0, 0, 0);
    int nc = (int) (x.dims()[0] * x.dims()[1]);
    int h = (int) x.dims()[2];
    int w = (int) x.dims()[3];
    int oh = (int) ((h + p[0] + p[2] - k[0]) / s[0] + 1);
    int ow = (int) ((w + p[1] + p[3] - k[1]) / s[1] + 1);
    double[] y = new double[nc * oh * ow];
    for (int c = 0; c < nc; c++) {
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          double m = Double.NEGATIVE_INFINITY;
          for (int u = 0; u < k[0]; u++) {
            for (int v = 0; v < k[1]; v++) {
              int r = (int) (i * s[0] - p[0] + u);
              int q = (int) (j * s[1] - p[1] + v);
              if (r >= 0 && r < h && q >= 0 && q < w) {
                m = Math.max(m, x.v()[(c * h + r) * w + q]);
              }
            }
          }
          y[(c * oh + i) * ow + j] = m;
        }
      }
    }
    return new T(new long[] {x.dims()[0], x.dims()[1], oh, ow}, y);
  }

  private static T gemm(T a, T w, T b) {
    int batch = (int) a.dims()[0];
    int in = (int) a.dims()[1];
    int out = (int) w.dims()[0];
    double[] y = new double[batch * out];
    for (int i = 0; i < batch; i++) {
      for (int o = 0; o < out; o++) {
        double s = b == null ? 0 : b.v()[o];
        for (int k = 0; k < in; k++) {
          s += a.v()[i * in + k] * w.v()[o * in + k];
        }
        y[i * out + o] = s;
      }
    }
    return new T(new long[] {batch, out}, y);
  }
}
