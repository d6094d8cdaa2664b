package dev.zeroinit.cli;

import dev.zeroinit.verify.Device;
import picocli.CommandLine.Option;

/** ONNX Runtime settings of {@code finetune} and {@code eval}. */
final class RuntimeOptions {
  @Option(names = "--device", paramLabel = "auto|cuda|cpu", defaultValue = "auto",
      description = "Execution provider: auto (CUDA if it loads, else the CPU, saying why; default), cuda "
          + "(an error, exit 7, where CUDA cannot load), cpu.")
  String device;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
      description = "ONNX Runtime intra-op threads (default 0: ONNX Runtime's choice, one per core).")
  int threads;

  @Option(names = "--spin",
      description = "Let ONNX Runtime's idle threads spin-wait (off by default: on a machine shared with "
          + "other work, spinning halves throughput).")
  boolean spin;

  Device device() throws UsageException {
    try {
      return Device.parse(device);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--device: '" + device + "' is not one of auto, cuda, cpu");
    }
  }

  int threads() throws UsageException {
    if (threads < 0) {
      throw new UsageException("--threads: " + threads + " is negative (0 lets ONNX Runtime choose)");
    }
    return threads;
  }
}
