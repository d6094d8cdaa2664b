package dev.zeroinit.verify;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to run a signal check.
 *
 * @param device execution provider to ask for
 * @param threads ORT intra-op threads; 0 lets ORT choose
 * @param seed seed of the synthesized inputs; the second run (check 3) uses {@code seed + 1}
 * @param batch size of every input's first dim when it is symbolic (and not set by {@code dims})
 * @param dims sizes of symbolic dims: by {@code dim_param} name, or {@code INPUT:AXIS} for a dim
 *     that has no name
 * @param inputs input values from files ({@code .npy} or a {@code TensorProto} {@code .pb}), by name
 * @param gainLow lower end of the end-to-end gain band (check 5)
 * @param gainHigh upper end of the band
 */
public record VerifyConfig(Device device, int threads, long seed, int batch, Map<String, Long> dims,
    Map<String, Path> inputs, double gainLow, double gainHigh) {

  /** Default {@code --batch}. */
  public static final int DEFAULT_BATCH = 8;
  /** Relative change of an output below which check 3 says it did not follow the input. */
  public static final double CHANGE_TOLERANCE = 1e-6;
  /** Columns (features) of the batch matrix the rank is computed on, at most; sampled by stride. */
  public static final int RANK_MAX_FEATURES = 4096;
  /** Rows (samples) of the batch matrix the rank is computed on, at most: the first ones. */
  public static final int RANK_MAX_ROWS = 1024;

  public VerifyConfig {
    Objects.requireNonNull(device, "device");
    dims = Map.copyOf(dims);
    inputs = Map.copyOf(new LinkedHashMap<>(inputs));
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 (ORT's choice) or more, not " + threads);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, not " + batch);
    }
    if (!(gainLow > 0) || !(gainHigh >= gainLow) || Double.isInfinite(gainHigh)) {
      throw new IllegalArgumentException("gain band needs 0 < LO <= HI < infinity, not " + gainLow + "," + gainHigh);
    }
  }

  /** Auto device, ORT's threads, seed 0, batch 8, no dims or files, gain band [1e-3, 1e3]. */
  public static VerifyConfig defaults() {
    return new VerifyConfig(Device.AUTO, 0, 0, DEFAULT_BATCH, Map.of(), Map.of(), 1e-3, 1e3);
  }

  public VerifyConfig withDevice(Device d) {
    return new VerifyConfig(d, threads, seed, batch, dims, inputs, gainLow, gainHigh);
  }

  public VerifyConfig withThreads(int t) {
    return new VerifyConfig(device, t, seed, batch, dims, inputs, gainLow, gainHigh);
  }

  public VerifyConfig withSeed(long s) {
    return new VerifyConfig(device, threads, s, batch, dims, inputs, gainLow, gainHigh);
  }

  public VerifyConfig withBatch(int b) {
    return new VerifyConfig(device, threads, seed, b, dims, inputs, gainLow, gainHigh);
  }

  public VerifyConfig withDims(Map<String, Long> d) {
    return new VerifyConfig(device, threads, seed, batch, d, inputs, gainLow, gainHigh);
  }

  public VerifyConfig withInputs(Map<String, Path> i) {
    return new VerifyConfig(device, threads, seed, batch, dims, i, gainLow, gainHigh);
  }

  public VerifyConfig withGainBand(double lo, double hi) {
    return new VerifyConfig(device, threads, seed, batch, dims, inputs, lo, hi);
  }
}
