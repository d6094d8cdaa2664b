package dev.zeroinit.experiments;

import dev.zeroinit.verify.Device;
import java.nio.file.Path;

/**
 * What every experiment shares: where the data and the outputs are, the reduced {@code --quick}
 * version, and how ONNX Runtime runs.
 *
 * @param data the Fashion-MNIST folder (IDX files, Debian's {@code dataset-fashion-mnist})
 * @param out the folder for the CSV, the PNG chart and the Markdown summary
 * @param quick run the reduced version (the plumbing, in well under two minutes)
 * @param device the execution provider choice
 * @param threads ONNX Runtime intra-op threads (0: ONNX Runtime's choice); the reproducibility
 *     experiment sets its own
 * @param spinning let ONNX Runtime's idle threads spin
 * @param command the command line that started the experiment, quoted in the summary
 */
public record ExperimentSettings(Path data, Path out, boolean quick, Device device, int threads,
    boolean spinning, String command) {
  /** Debian's Fashion-MNIST. */
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
}
