import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.ResidualBlocks;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.onnxio.graph.GraphIndex;
import dev.zeroinit.onnxio.graph.ModelIndex;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.proto.Onnx.ModelProto;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Plan + rewrite time (in process, JIT warm, no I/O) with --residual zero-last against plain, the
 * cost of the residual-block analysis. Run from the repo root after building:
 *
 *   java -cp cli/target/zero-init.jar bench/ResidualOverhead.java MODEL.onnx [ROUNDS]
 */
public class ResidualOverhead {
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    try (OnnxModel model = OnnxModel.read(Path.of(args[0]))) {
      ModelProto proto = model.proto();
      PlanOptions plain = PlanOptions.defaults().withResidual(ResidualMode.PLAIN);
      PlanOptions zeroLast = PlanOptions.defaults();
      for (int i = 0; i < 5; i++) { // warm-up
        time(proto, plain);
        time(proto, zeroLast);
      }
      long[][] t = new long[2][rounds];
      for (int i = 0; i < rounds; i++) { // interleaved, so drift hits both alike
        t[0][i] = time(proto, plain);
        t[1][i] = time(proto, zeroLast);
      }
      long[] analysis = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        for (GraphIndex g : ModelIndex.of(proto).allGraphs()) {
          ResidualBlocks.find(g);
        }
        analysis[i] = System.nanoTime() - t0;
      }
      double a = median(analysis) / 1e6;
      double p = median(t[0]) / 1e6;
      double z = median(t[1]) / 1e6;
      System.out.printf("residual-block analysis alone: %.2f ms = %.1f%% of plain plan+rewrite%n", a, a / p * 100);
      System.out.printf("model %s, %d rounds, median plan+rewrite: plain %.1f ms, zero-last %.1f ms, "
          + "overhead %+.1f%%, blocks found %d%n", args[0], rounds, p, z, (z / p - 1) * 100,
          Planner.plan(proto, zeroLast).blocks().size());
    }
  }

  private static long time(ModelProto proto, PlanOptions o) throws Exception {
    long t0 = System.nanoTime();
    ModelProto out = Rewriter.apply(proto, Planner.plan(proto, o), Map.of());
    if (out.getGraph().getInitializerCount() < 0) {
      throw new AssertionError();
    }
    return System.nanoTime() - t0;
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
