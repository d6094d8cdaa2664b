package dev.zeroinit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zeroinit.init.Plan;
import dev.zeroinit.init.PlanEntry;
import dev.zeroinit.init.RewriteJob;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The plan and its summary as JSON ({@code --report}): everything the table shows, machine-readable. */
final class PlanReport {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private PlanReport() { }

  static byte[] toJson(RewriteJob.Result result, Map<String, Object> options) throws Exception {
    Plan plan = result.plan();
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("tool", "zero-init");
    root.put("version", Version.get());
    root.put("input", result.input().toString());
    root.put("output", result.written() == null ? null : result.written().model().toString());
    root.put("dryRun", result.written() == null);
    root.put("options", options);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("tensorsRewritten", plan.rewritten().size());
    summary.put("tensorsSkipped", plan.skipped().size());
    summary.put("bytesRewritten", plan.bytesRewritten());
    summary.put("countsByRule", plan.countsByRule());
    summary.put("hadamardScale", plan.options().scale().optionName());
    summary.put("residualBlocks", plan.blocks().size());
    root.put("summary", summary);
    List<Map<String, Object>> entries = new ArrayList<>();
    for (PlanEntry e : plan.entries()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", e.name());
      m.put("graph", e.site().graphId());
      m.put("storedAs", e.site().kind().name().toLowerCase());
      m.put("dataType", e.dataType());
      m.put("shape", e.shape());
      m.put("role", e.role().label());
      m.put("consumers", e.consumers());
      m.put("action", e.rewritten() ? "rewrite" : "skip");
      if (e.rewritten()) {
        m.put("rule", e.rule());
        if (e.p() > 0) {
          m.put("p", e.p());
          m.put("q", e.q());
          m.put("groups", e.groups());
          m.put("scale", e.factor());
        } else {
          m.put("value", e.factor());
        }
        m.put("orientation", e.orientation());
        m.put("notes", e.notes());
      } else {
        m.put("reason", e.skipReason());
      }
      m.put("bytes", e.bytes());
      entries.add(m);
    }
    root.put("entries", entries);
    List<Map<String, Object>> blocks = new ArrayList<>();
    for (var b : plan.blocks()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", b.id());
      m.put("graph", b.graph());
      m.put("add", b.add());
      m.put("branchLayers", b.branchLayers());
      m.put("branchEnd", b.branchEnd());
      m.put("skip", b.skip());
      m.put("zeroed", b.zeroed());
      blocks.add(m);
    }
    root.put("residualBlocks", blocks);
    if (result.written() != null) {
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("model", result.written().model().toString());
      w.put("dataFiles", result.written().dataFiles().stream().map(Path::toString).toList());
      w.put("bytesWritten", result.written().bytesWritten());
      w.put("externalData", result.written().layout().name().toLowerCase());
      w.put("notes", result.written().notes());
      root.put("written", w);
    }
    return JSON.writeValueAsBytes(root);
  }
}
