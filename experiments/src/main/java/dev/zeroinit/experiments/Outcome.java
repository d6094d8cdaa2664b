package dev.zeroinit.experiments;

import java.nio.file.Path;
import java.util.List;

/**
 * What an experiment wrote and found.
 *
 * @param table the results table (also in the CSV and the summary)
 * @param files the files written: the CSV, the PNG and the Markdown summary
 * @param verdicts one line per claim: what was measured against it
 * @param seconds the experiment's wall time
 */
public record Outcome(ResultTable table, List<Path> files, List<String> verdicts, double seconds) {}
