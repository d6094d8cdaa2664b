package dev.zeroinit.init.batch;

import java.nio.file.Path;
import java.util.List;

/**
 * What happened to one model of a batch.
 *
 * @param path relative path under the input folder, {@code /}-separated
 * @param input the model file
 * @param output where its result goes (or went)
 * @param status the verdict
 * @param error why it failed (FAILED only), else null
 * @param reason a one-line reason for NOT_RUN or UP_TO_DATE, or why a stale output was redone; else null
 * @param inputBytes the model file plus its external data files
 * @param tensorsRewritten tensors the plan rewrote (-1 when not planned)
 * @param tensorsSkipped tensors the plan left untouched (-1 when not planned)
 * @param bytesRewritten tensor bytes the plan replaced
 * @param bytesWritten bytes of the written files (0 when nothing was written)
 * @param dataFiles external data files written
 * @param layout the external data layout written (keep, single, inline), null when nothing was written
 * @param nanos time spent on this model (resume check, rewrite, write, hook)
 * @param inputSha256 the input hash recorded in (or checked against) the output, null when unknown
 * @param footprint the memory estimate it was scheduled with, bytes
 * @param notes remarks: layout switches, the check hook's line, ...
 */
public record ModelOutcome(String path, Path input, Path output, Status status, Throwable error,
    String reason, long inputBytes, int tensorsRewritten, int tensorsSkipped, long bytesRewritten,
    long bytesWritten, List<Path> dataFiles, String layout, long nanos, String inputSha256,
    long footprint, List<String> notes) {

  /** The verdict on one model. */
  public enum Status {
    /** rewritten and written */
    REWRITTEN("ok"),
    /** skipped by --resume: the output holds this input's hash and the same options */
    UP_TO_DATE("up to date"),
    /** failed; the others went on (unless --fail-fast) */
    FAILED("FAILED"),
    /** not started because --fail-fast stopped the batch */
    NOT_RUN("not run");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    /** ok, up to date, FAILED, not run. */
    public String label() {
      return label;
    }
  }

  public ModelOutcome {
    dataFiles = dataFiles == null ? List.of() : List.copyOf(dataFiles);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /** True for REWRITTEN and UP_TO_DATE. */
  public boolean ok() {
    return status == Status.REWRITTEN || status == Status.UP_TO_DATE;
  }
}
