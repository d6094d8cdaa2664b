package dev.zeroinit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init verify MODEL}: the signal check (DESIGN.md §4) on ONNX Runtime. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Check on ONNX Runtime that a signal passes through MODEL.",
        "",
        "Runs MODEL with seeded inputs, observes every weight, normalisation and residual "
            + "layer, and checks that a signal passes through: (1) every output finite, (2) every output "
            + "non-zero, (3) outputs change when the input changes, (4) no layer all zero except those the "
            + "plan zeroed on purpose, (5) end-to-end gain inside --gain-band. The model file is never "
            + "written.",
        "",
        "Inputs: float inputs standard normal, integer inputs that index a Gather table (token ids) "
            + "uniform below the table's size, other integers uniform in [0, 10), bools a fair coin; "
            + "symbolic dims from --dim, the first dim from --batch.",
        "",
        "With --grad, the backward half follows: one training step of MODEL's training-step graph on "
            + "the same batch and provider (targets synthesized for --loss), and every trainable tensor "
            + "must receive a finite gradient that is not all zero, except where the plan zeroed a whole "
            + "chain on purpose (a residual branch before its zeroed last layer: ZERO-EXPECTED, with the "
            + "weight that blocks it). Statuses: OK, ZERO-EXPECTED, ZERO (fails), NON-FINITE (fails).",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every check passed",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, a symbolic dim to set with --dim, an --input that does not fit, a "
            + "--loss the model cannot take)",
        "3:the model is not valid, or ONNX Runtime refuses it; with --grad also: no training step can be "
            + "built (an op without a derivative rule)",
        "4:I/O error",
        "5:a check failed (with --grad: also a gradient ZERO or NON-FINITE)",
        "7:--device cuda where CUDA cannot be used",
        "8:the model cannot run on this execution provider (no kernel for an op and type)"})
final class VerifyCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to check.")
  Path model;

  @Mixin
  VerifyOptions options;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
      description = "Seed of the synthesized inputs and --grad's targets (default 0); check 3 draws its second "
          + "input with seed + 1.")
  long seed;

  @Option(names = "--grad",
      description = "Also check the backward signal: one training step on the synthesized batch; every "
          + "trainable tensor must receive a finite gradient, non-zero except where the plan zeroed a whole "
          + "chain (listed as ZERO-EXPECTED).")
  boolean grad;

  @Option(names = "--loss", paramLabel = "auto|ce|mse|lm", defaultValue = "auto",
      description = "--grad: the loss of the step (default auto: ce for an output [N, C] with C >= 2, lm for "
          + "[N, S, V] when an input holds token ids, mse otherwise); its targets are drawn with --seed.")
  String loss;

  @Override
  public Integer call() throws Exception {
    GradRunner.Request request = null;
    if (grad) {
      request = GradRunner.Request.of(loss);
    } else if (spec.commandLine().getParseResult().hasMatchedOption("--loss")) {
      throw new UsageException("--loss: needs --grad");
    }
    return VerifyRunner.run(spec.commandLine(), model, null, options, seed, false, request);
  }
}
