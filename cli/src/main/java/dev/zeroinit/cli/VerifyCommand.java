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
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:every check passed",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, a symbolic dim to set with --dim, an --input that does not fit)",
        "3:the model is not valid, or ONNX Runtime refuses it",
        "4:I/O error",
        "5:a check failed",
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
      description = "Seed of the synthesized inputs (default 0); check 3 draws its second input with seed + 1.")
  long seed;

  @Override
  public Integer call() throws Exception {
    return VerifyRunner.run(spec.commandLine(), model, null, options, seed, false);
  }
}
