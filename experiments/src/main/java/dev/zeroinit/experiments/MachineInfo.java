package dev.zeroinit.experiments;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** One line about the machine an experiment ran on, for its summary. */
final class MachineInfo {
  private MachineInfo() {}

  /** E.g. {@code 2 cores (AMD EPYC 7B13), 23.5 GB memory, Linux 6.1, Java 17.0.12}. */
  static String describe() {
    String cpu = "";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst().map(s -> " (" + s + ")").orElse("");
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: leave the model out
    }
    long memory = -1;
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      memory = os.getTotalMemorySize();
    }
    return String.format(Locale.ROOT, "%d cores%s, %s memory, %s %s, Java %s",
        Runtime.getRuntime().availableProcessors(), cpu,
        memory > 0 ? String.format(Locale.ROOT, "%.1f GB", memory / 1e9) : "unknown",
        System.getProperty("os.name"), System.getProperty("os.version"),
        System.getProperty("java.version"));
  }
}
