package dev.zeroinit.cli;

import dev.zeroinit.init.HadamardScale;
import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.NormMode;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.ResidualMode;
import dev.zeroinit.onnxio.ExternalDataLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Option;

/**
 * The options that shape a rewrite, shared (as a picocli mixin) by the main job and {@code batch}:
 * how weights are initialized, which tensors are touched, and where tensor data goes.
 */
final class RewriteOptions {
  @Option(names = "--hadamard-scale", paramLabel = "paper|orthonormal", defaultValue = "paper",
      description = "Factor c of the Hadamard blocks: paper = 2^(-(m-1)/2) (Algorithm 1, default), "
          + "orthonormal = 2^(-m/2) (the authors' notebook).")
  String hadamardScale;

  @Option(names = "--ops", split = ",", paramLabel = "OP",
      description = "Weight-bearing ops to rewrite (default: Gemm,MatMul,Conv,ConvTranspose); "
          + "their biases follow them.")
  List<String> ops;

  @Option(names = "--include", paramLabel = "REGEX",
      description = "Rewrite only tensors whose name matches (found anywhere in the name; repeatable).")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude", paramLabel = "REGEX",
      description = "Leave tensors whose name matches untouched (repeatable).")
  List<String> exclude = new ArrayList<>();

  @Option(names = "--norm", paramLabel = "reset|keep", defaultValue = "reset",
      description = "Normalisation layers: reset to fresh values (scale 1, bias 0, mean 0, var 1; "
          + "default) or keep.")
  String norm;

  @Option(names = "--method", paramLabel = "METHOD", defaultValue = "zero",
      description = "zero (default), partial-identity (the paper's ablation: no Hadamard), or a random "
          + "baseline: kaiming-normal, kaiming-uniform, xavier-normal, xavier-uniform, orthogonal "
          + "(fans from the same P x Q analysis; reproducible with --seed).")
  String method;

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seed of the random baselines (default 0); ZerO uses no random numbers.")
  long seed;

  @Option(names = "--residual", paramLabel = "zero-last|plain",
      description = "Residual blocks (found on the graph): zero-last starts the last weight layer of "
          + "every branch at zero, so each block begins as the identity (default for zero and "
          + "partial-identity); plain treats branches like any other layer (default for the random "
          + "baselines).")
  String residual;

  @Option(names = "--external-data", paramLabel = "keep|single|inline", defaultValue = "keep",
      description = "Where tensor data goes: as the input had it (default), one file beside the model "
          + "(OUT.data), or all inside the model. Results above 2 GB always use external data.")
  String externalData;

  /** The plan options these flags describe; a bad value is a usage error. */
  PlanOptions planOptions() throws UsageException {
    HadamardScale scale = parse("--hadamard-scale", hadamardScale, "paper, orthonormal", HadamardScale::parse);
    NormMode normMode = parse("--norm", norm, "reset, keep", NormMode::parse);
    InitMethod initMethod = parse("--method", method, "zero, partial-identity, kaiming-normal, "
        + "kaiming-uniform, xavier-normal, xavier-uniform, orthogonal", InitMethod::parse);
    ResidualMode residualMode = residual == null
        ? PlanOptions.defaults().withMethod(initMethod, seed).residual()
        : parse("--residual", residual, "zero-last, plain", ResidualMode::parse);
    Set<String> opSet = new LinkedHashSet<>();
    if (ops == null || ops.isEmpty()) {
      opSet.addAll(PlanOptions.ALL_OPS);
    } else {
      for (String op : ops) {
        String canonical = PlanOptions.ALL_OPS.stream().filter(o -> o.equalsIgnoreCase(op.trim()))
            .findFirst().orElseThrow(() -> new UsageException("--ops: unknown op '" + op
                + "'; choose from Gemm, MatMul, Conv, ConvTranspose"));
        opSet.add(canonical);
      }
    }
    return new PlanOptions(scale, opSet, patterns("--include", include), patterns("--exclude", exclude),
        normMode, residualMode, initMethod, seed);
  }

  /** The external data layout asked for. */
  ExternalDataLayout layout() throws UsageException {
    return parse("--external-data", externalData, "keep, single, inline", ExternalDataLayout::parse);
  }

  /** The options as the JSON reports list them. */
  Map<String, Object> reportOptions(PlanOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", o.method().optionName());
    m.put("seed", o.seed());
    m.put("hadamardScale", o.scale().optionName());
    m.put("ops", new TreeSet<>(o.ops()));
    m.put("include", include);
    m.put("exclude", exclude);
    m.put("norm", o.norm().name().toLowerCase());
    m.put("residual", o.residual().optionName());
    m.put("externalData", externalData);
    return m;
  }

  private static List<Pattern> patterns(String option, List<String> regexes) throws UsageException {
    List<Pattern> out = new ArrayList<>();
    for (String r : regexes) {
      try {
        out.add(Pattern.compile(r));
      } catch (PatternSyntaxException e) {
        throw new UsageException(option + ": invalid regular expression '" + r + "': " + e.getDescription());
      }
    }
    return out;
  }

  interface Parser<T> {
    T parse(String s);
  }

  static <T> T parse(String option, String value, String choices, Parser<T> parser)
      throws UsageException {
    try {
      return parser.parse(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException(option + ": '" + value + "' is not one of " + choices);
    }
  }
}
