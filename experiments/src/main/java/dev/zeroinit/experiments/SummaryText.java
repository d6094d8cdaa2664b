package dev.zeroinit.experiments;

import java.util.List;
import java.util.Locale;

/** Pieces of the experiments' Markdown summaries. */
final class SummaryText {
  private SummaryText() {}

  /** The end every summary shares: the chart, the verdicts, how it ran. */
  static void chartVerdictsAndRunFacts(StringBuilder b, String name, String chartAlt,
      List<String> verdicts, ExperimentSettings s, double seconds, String provider) {
    b.append("![").append(chartAlt).append("](").append(name).append(".png)\n\n");
    b.append("## Verdict\n\n");
    for (String v : verdicts) {
      b.append("- ").append(v).append('\n');
    }
    b.append('\n');
    runFacts(b, s, seconds, provider);
  }

  /** The "How it ran" section: command, machine, wall time, execution provider. */
  static void runFacts(StringBuilder b, ExperimentSettings s, double seconds, String provider) {
    b.append("## How it ran\n\n");
    if (s.command() != null && !s.command().isBlank()) {
      b.append("- command: `").append(s.command()).append("`\n");
    }
    b.append("- machine: ").append(MachineInfo.describe()).append('\n');
    b.append(String.format(Locale.ROOT, "- wall time: %.0f s%n", seconds));
    b.append("- ONNX Runtime: ").append(provider == null ? "device " + s.device() : provider)
        .append(", intra-op threads ").append(s.threads() == 0 ? "ONNX Runtime's choice"
            : String.valueOf(s.threads())).append('\n');
  }

  /** A number as short as it reads: {@code 1} for 1.0, {@code 0.125}, {@code 0.0001}. */
  static String number(double v) {
    if (!Double.isFinite(v)) {
      return String.valueOf(v);
    }
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
