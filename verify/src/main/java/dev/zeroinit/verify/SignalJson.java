package dev.zeroinit.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole signal report as JSON ({@code --json}): everything the table shows, with full-precision
 * numbers (non-finite ones as the strings "NaN", "Infinity", "-Infinity"), and with an original model
 * its report and the per-layer match.
 */
public final class SignalJson {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SignalJson() { }

  /** The report as UTF-8 JSON; {@code original} may be null; {@code tool} names the producer. */
  public static byte[] toJson(SignalReport r, SignalReport original, Map<String, Object> tool) {
    return toJson(r, original, tool, Map.of());
  }

  /**
   * As {@link #toJson(SignalReport, SignalReport, Map)}, with further top-level sections after the
   * report (for example the gradient check's, under {@code gradient}).
   */
  public static byte[] toJson(SignalReport r, SignalReport original, Map<String, Object> tool,
      Map<String, Object> sections) {
    Map<String, Object> root = new LinkedHashMap<>(tool);
    root.putAll(tree(r));
    if (original != null) {
      root.put("against", tree(original));
      Map<String, SignalReport.Layer> match = SignalTable.matchLayers(r, original);
      List<Map<String, Object>> pairs = new ArrayList<>();
      for (SignalReport.Layer l : r.layers()) {
        SignalReport.Layer o = match.get(l.output());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", l.node());
        m.put("output", l.output());
        m.put("originalNode", o == null ? null : o.node());
        m.put("rmsOriginal", o == null ? null : number(o.stats().rms()));
        m.put("rms", number(l.stats().rms()));
        m.put("rankOriginal", o == null ? null : o.stats().rank());
        m.put("rank", l.stats().rank());
        pairs.add(m);
      }
      root.put("layersAgainstOriginal", pairs);
    }
    root.putAll(sections);
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Object> tree(SignalReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", r.model());
    m.put("verdict", r.verdict().name());
    m.put("notRunnableReason", r.notRunnableReason());
    m.put("executionProvider", provider(r.provider()));
    m.put("seed", r.seed());
    List<Map<String, Object>> inputs = new ArrayList<>();
    for (SignalReport.InputInfo in : r.inputs()) {
      inputs.add(input(in));
    }
    m.put("inputs", inputs);
    if (r.reference() != null) {
      Map<String, Object> ref = new LinkedHashMap<>();
      ref.put("tensor", r.reference().tensor());
      ref.put("what", r.reference().what());
      ref.put("rms", number(r.reference().rms()));
      m.put("gainReference", ref);
    }
    m.put("rankRule", SignalReport.RANK_RULE);
    List<Map<String, Object>> layers = new ArrayList<>();
    for (SignalReport.Layer l : r.layers()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("index", l.index());
      x.put("node", l.node());
      x.put("op", l.op());
      x.put("output", l.output());
      x.put("kind", l.kind().name().toLowerCase());
      x.putAll(stats(l.stats()));
      x.put("gain", number(l.gain()));
      x.put("expectedZero", l.expectedZero());
      layers.add(x);
    }
    m.put("layers", layers);
    List<Map<String, Object>> outputs = new ArrayList<>();
    for (SignalReport.Output o : r.outputs()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("name", o.name());
      x.put("type", o.type());
      x.put("shape", o.shape());
      if (o.stats() != null) {
        x.putAll(stats(o.stats()));
      }
      x.put("gain", number(o.gain()));
      x.put("relativeChange", number(o.relativeChange()));
      outputs.add(x);
    }
    m.put("outputs", outputs);
    List<Map<String, Object>> checks = new ArrayList<>();
    for (SignalReport.Check c : r.checks()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("number", c.number());
      x.put("name", c.name());
      x.put("status", c.status().name());
      x.put("detail", c.detail());
      checks.add(x);
    }
    m.put("checks", checks);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("prepareSeconds", r.timings().prepareNanos() / 1e9);
    t.put("sessionSeconds", r.timings().sessionNanos() / 1e9);
    t.put("runSeconds", r.timings().runNanos() / 1e9);
    t.put("secondRunSeconds", r.timings().secondRunNanos() / 1e9);
    t.put("statsSeconds", r.timings().statsNanos() / 1e9);
    t.put("totalSeconds", r.timings().totalNanos() / 1e9);
    m.put("timings", t);
    return m;
  }

  private static Map<String, Object> stats(TensorStats s) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("type", s.type().onnxName());
    x.put("shape", s.shape());
    x.put("rms", number(s.rms()));
    x.put("mean", number(s.mean()));
    x.put("maxAbs", number(s.maxAbs()));
    x.put("zeroFraction", s.zeroFraction());
    x.put("finite", s.finite());
    x.put("nonFinite", s.nonFinite());
    x.put("rank", s.rank() < 0 ? null : s.rank());
    x.put("rankMatrix", new int[] {s.rankRows(), s.rankCols()});
    x.put("features", s.features());
    x.put("rankTolerance", number(s.tolerance()));
    return x;
  }

  /** A double, or its name when not finite (JSON has no NaN). */
  /** One fed input: name, type, shape, where its values came from, RMS. */
  public static Map<String, Object> input(SignalReport.InputInfo in) {
    Map<String, Object> i = new LinkedHashMap<>();
    i.put("name", in.name());
    i.put("type", in.type());
    i.put("shape", in.shape());
    i.put("source", in.source());
    i.put("rms", number(in.rms()));
    return i;
  }

  /** The execution provider that ran (requested, name, why it fell back), or null. */
  public static Map<String, Object> provider(OrtRuntime.Provider provider) {
    if (provider == null) {
      return null;
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("requested", provider.requested().optionName());
    p.put("name", provider.name());
    p.put("fallbackReason", provider.fallbackReason());
    return p;
  }

  public static Object number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    return v;
  }
}
