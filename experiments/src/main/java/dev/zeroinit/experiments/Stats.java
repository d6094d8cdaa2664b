package dev.zeroinit.experiments;

import java.util.List;
import java.util.Locale;

/** Mean and sample standard deviation of a few runs, and how the summaries print them. */
record Stats(int n, double mean, double std, double min, double max) {
  static Stats of(List<Double> values) {
    int n = values.size();
    if (n == 0) {
      return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double mean = sum / n;
    double sq = 0;
    for (double v : values) {
      sq += (v - mean) * (v - mean);
    }
    return new Stats(n, mean, n > 1 ? Math.sqrt(sq / (n - 1)) : 0, min, max);
  }

  /** {@code 91.23 ± 0.45} with {@code digits} decimals. */
  String format(int digits) {
    String f = "%." + digits + "f";
    return String.format(Locale.ROOT, f + " ± " + f, mean, std);
  }
}
