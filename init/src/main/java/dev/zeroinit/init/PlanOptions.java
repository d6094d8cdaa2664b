package dev.zeroinit.init;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the planner may touch and how: the Hadamard factor, the weight-bearing ops to rewrite, tensor
 * name filters (regular expressions found anywhere in the name, as grep does), what to do with
 * normalisation parameters and residual branches, and the initialization method (with the seed the
 * random baselines draw from).
 */
public record PlanOptions(HadamardScale scale, Set<String> ops, List<Pattern> include,
    List<Pattern> exclude, NormMode norm, ResidualMode residual, InitMethod method, long seed) {

  /** The ops ZerO covers. */
  public static final Set<String> ALL_OPS = Set.of("Gemm", "MatMul", "Conv", "ConvTranspose");

  public PlanOptions {
    ops = Set.copyOf(ops);
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    for (String op : ops) {
      if (!ALL_OPS.contains(op)) {
        throw new IllegalArgumentException("unknown op '" + op + "'; choose from Gemm, MatMul, Conv, ConvTranspose");
      }
    }
  }

  /** Paper scale, every op, no filters, normalisation reset, residual branches zeroed. */
  public static PlanOptions defaults() {
    return new PlanOptions(HadamardScale.PAPER, ALL_OPS, List.of(), List.of(), NormMode.RESET,
        ResidualMode.ZERO_LAST, InitMethod.ZERO, 0);
  }

  /**
   * Another method and seed; the residual mode follows the method's default (zero-last for ZerO and
   * its partial-identity ablation, plain for the random baselines).
   */
  public PlanOptions withMethod(InitMethod m, long s) {
    return new PlanOptions(scale, ops, include, exclude, norm,
        m.isRandom() ? ResidualMode.PLAIN : ResidualMode.ZERO_LAST, m, s);
  }

  public PlanOptions withResidual(ResidualMode r) {
    return new PlanOptions(scale, ops, include, exclude, norm, r, method, seed);
  }

  public PlanOptions withScale(HadamardScale s) {
    return new PlanOptions(s, ops, include, exclude, norm, residual, method, seed);
  }

  public PlanOptions withOps(Set<String> o) {
    return new PlanOptions(scale, o, include, exclude, norm, residual, method, seed);
  }

  public PlanOptions withNorm(NormMode n) {
    return new PlanOptions(scale, ops, include, exclude, n, residual, method, seed);
  }

  public PlanOptions withFilters(List<Pattern> inc, List<Pattern> exc) {
    return new PlanOptions(scale, ops, inc, exc, norm, residual, method, seed);
  }

  /** Null when {@code name} passes the filters, else the reason it does not. */
  String filterReason(String name) {
    for (Pattern p : exclude) {
      if (p.matcher(name).find()) {
        return "excluded by --exclude '" + p.pattern() + "'";
      }
    }
    if (!include.isEmpty() && include.stream().noneMatch(p -> p.matcher(name).find())) {
      return "not matched by --include";
    }
    return null;
  }
}
