package dev.zeroinit.finetune.train;

import static dev.zeroinit.verify.SignalJson.number;

import dev.zeroinit.verify.SignalJson;
import dev.zeroinit.verify.SignalReport;
import dev.zeroinit.verify.TensorStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient report as a JSON tree (maps, lists, strings and numbers; non-finite numbers as the
 * strings "NaN", "Infinity", "-Infinity"): the {@code gradient} section of {@code verify --grad --json}.
 */
public final class GradientJson {
  private GradientJson() { }

  /** Everything the table shows, with full-precision numbers. */
  public static Map<String, Object> tree(GradientReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", r.model());
    m.put("verdict", r.verdict().name());
    m.put("notRunnableReason", r.notRunnableReason());
    m.put("executionProvider", SignalJson.provider(r.provider()));
    m.put("seed", r.seed());
    Map<String, Object> loss = new LinkedHashMap<>();
    loss.put("kind", r.loss().optionName());
    loss.put("why", r.lossReason());
    loss.put("output", r.output());
    loss.put("value", number(r.lossValue()));
    m.put("loss", loss);
    List<Map<String, Object>> inputs = new ArrayList<>();
    for (SignalReport.InputInfo in : r.inputs()) {
      inputs.add(SignalJson.input(in));
    }
    m.put("inputs", inputs);
    m.put("targets", r.targets() == null ? null : SignalJson.input(r.targets()));
    List<Map<String, Object>> tensors = new ArrayList<>();
    for (GradientReport.Tensor t : r.tensors()) {
      TensorStats s = t.stats();
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("index", t.index());
      x.put("name", t.name());
      x.put("type", s.type().onnxName());
      x.put("shape", s.shape());
      x.put("rms", number(s.rms()));
      x.put("maxAbs", number(s.maxAbs()));
      x.put("zeroFraction", s.zeroFraction());
      x.put("finite", s.finite());
      x.put("nonFinite", s.nonFinite());
      x.put("status", t.status().label());
      x.put("explanation", t.explanation());
      tensors.add(x);
    }
    m.put("tensors", tensors);
    Map<String, Object> counts = new LinkedHashMap<>();
    for (GradientReport.Status s : GradientReport.Status.values()) {
      counts.put(s.label(), r.withStatus(s).size());
    }
    m.put("counts", counts);
    m.put("notTrained", r.notTrained());
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("prepareSeconds", r.timings().prepareNanos() / 1e9);
    t.put("sessionSeconds", r.timings().sessionNanos() / 1e9);
    t.put("runSeconds", r.timings().runNanos() / 1e9);
    t.put("totalSeconds", r.timings().totalNanos() / 1e9);
    m.put("timings", t);
    return m;
  }
}
