package dev.zeroinit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of the signal check, shared by {@code zero-init verify} and the main job's
 * {@code --verify} (a picocli mixin). Plain values only: nothing here loads ONNX Runtime. The input
 * seed is not among them, as the main job's {@code --seed} seeds the random baselines: {@code verify}
 * has its own {@code --seed}, and {@code --verify} draws its inputs with seed 0.
 */
public final class VerifyOptions {
  /** The option names, for "needs --verify" messages. */
  static final List<String> NAMES = List.of("--device", "--threads", "--batch", "--dim", "--input",
      "--gain-band", "--against", "--json", "--plot");

  @Option(names = "--device", paramLabel = "auto|cuda|cpu", defaultValue = "auto",
      description = "Execution provider: auto (CUDA if it loads, else the CPU, saying why; default), cuda "
          + "(an error, exit 7, where CUDA cannot load), cpu.")
  String device;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
      description = "ONNX Runtime intra-op threads (default 0: ONNX Runtime's choice).")
  int threads;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
      description = "Size of every input's first dim when it is symbolic (default 8).")
  int batch;

  @Option(names = "--dim", paramLabel = "NAME=VALUE",
      description = "Size of a symbolic dim, by its name (dim_param), or INPUT:AXIS for an unnamed one "
          + "(repeatable).")
  Map<String, Long> dims = new LinkedHashMap<>();

  @Option(names = "--input", paramLabel = "NAME=FILE",
      description = "Real values for an input: a NumPy .npy file or an ONNX TensorProto .pb (repeatable).")
  Map<String, Path> inputs = new LinkedHashMap<>();

  @Option(names = "--gain-band", paramLabel = "LO,HI", defaultValue = "1e-3,1e3",
      description = "Band the end-to-end gain must lie in (default 1e-3,1e3).")
  String gainBand;

  @Option(names = "--against", paramLabel = "ORIGINAL.onnx",
      description = "Also run the original model and print both models' per-layer RMS side by side.")
  Path against;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the whole signal report as JSON.")
  Path json;

  @Option(names = "--plot", paramLabel = "FILE.png",
      description = "Draw per-layer RMS (log scale) and rank along depth as a PNG.")
  Path plot;

  /** The options of this mixin that were given on the command line. */
  static List<String> given(CommandLine.ParseResult parsed) {
    List<String> out = new ArrayList<>();
    for (String name : NAMES) {
      if (parsed.hasMatchedOption(name)) {
        out.add(name);
      }
    }
    return out;
  }
}
