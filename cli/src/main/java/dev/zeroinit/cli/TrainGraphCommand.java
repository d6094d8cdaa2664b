package dev.zeroinit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.OptimizerConfig;
import dev.zeroinit.finetune.TrainGraphException;
import dev.zeroinit.finetune.TrainOptions;
import dev.zeroinit.finetune.TrainStepGraph;
import dev.zeroinit.finetune.TrainingGraphBuilder;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.InvalidModelException;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.proto.Onnx;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code zero-init train-graph MODEL -o step.onnx}: writes the model's training-step graph (forward,
 * loss, reverse-mode derivative and optimizer update as standard ONNX ops), which any ONNX Runtime
 * runs once per batch.
 */
@Command(name = "train-graph", mixinStandardHelpOptions = true, versionProvider = Version.class,
    sortOptions = false, usageHelpAutoWidth = true,
    description = {
        "Writes the training-step graph of MODEL: one ONNX model that takes the batch, 'targets', "
            + "the learning rate 'lr', every trainable parameter P and the optimizer state, and "
            + "returns 'loss', 'correct' (classification) and P.new, P.momentum.new (SGD), "
            + "P.exp_avg.new and P.exp_avg_sq.new (AdamW), step.new and the BatchNormalization "
            + "running statistics R.new. Feed each X.new back as X of the next step; parameters start "
            + "from MODEL's initializers of the same names, optimizer state from zeros, step from 0.",
        ""})
final class TrainGraphCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The forward ONNX model (opset 13+).")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
      description = "Where to write the step graph. Refused if it exists, unless --force.")
  Path output;

  @Option(names = "--loss", paramLabel = "ce|mse|lm", defaultValue = "ce",
      description = "ce: softmax cross-entropy of logits [N, C] with int64 labels [N] (default); "
          + "mse: mean squared error against float targets shaped like the output; lm: next-token "
          + "cross-entropy of logits [B, S, V] with int64 targets [B, S].")
  String loss;

  @Option(names = "--optimizer", paramLabel = "sgd|adamw", defaultValue = "sgd",
      description = "sgd (PyTorch SGD semantics, default) or adamw (decoupled weight decay).")
  String optimizer;

  @Option(names = "--momentum", paramLabel = "M", defaultValue = "0.9",
      description = "SGD momentum (default 0.9, the paper's; 0 for plain SGD).")
  double momentum;

  @Option(names = "--nesterov", description = "SGD with Nesterov momentum.")
  boolean nesterov;

  @Option(names = "--weight-decay", paramLabel = "WD",
      description = "Weight decay: L2-coupled for SGD (default 1e-4, the paper's), decoupled for "
          + "AdamW (default 0.01, PyTorch's).")
  Double weightDecay;

  @Option(names = "--betas", paramLabel = "B1,B2",
      description = "AdamW betas (default 0.9,0.999).")
  String betas;

  @Option(names = "--eps", paramLabel = "EPS", defaultValue = "1e-8",
      description = "AdamW epsilon (default 1e-8).")
  double eps;

  @Option(names = "--freeze", paramLabel = "REGEX",
      description = "Keep the initializers whose name matches (found anywhere in the name) as "
          + "constants instead of training them (repeatable).")
  List<String> freeze = new ArrayList<>();

  @Option(names = "--batch", paramLabel = "N", defaultValue = "0",
      description = "Fix the batch size (the first dim of the inputs) so every shape is static "
          + "(default: keep it symbolic).")
  long batch;

  @Option(names = "--output-name", paramLabel = "NAME",
      description = "The model output the loss reads (default: the first output).")
  String outputName;

  @Option(names = "--gradients", description = "Also output each parameter's gradient as P.grad.")
  boolean gradients;

  @Option(names = "--embed-initial-values",
      description = "Also store the parameters' and running statistics' starting values in the step "
          + "graph, as overridable defaults of their inputs (ONNX Runtime for Python accepts them; "
          + "its Java API does not).")
  boolean embedInitialValues;

  @Option(names = "--external-data", paramLabel = "keep|single|inline", defaultValue = "keep",
      description = "Where the tensor data of the step graph goes (default keep).")
  String externalData;

  @Option(names = "--json", description = "Print the input/output contract as JSON.")
  boolean json;

  @Option(names = {"-f", "--force"}, description = "Replace the output if it exists.")
  boolean force;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    TrainOptions options = options();
    ExternalDataLayout layout;
    try {
      layout = ExternalDataLayout.parse(externalData);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--external-data: '" + externalData
          + "' is not one of keep, single, inline");
    }
    if (!force && Files.exists(output)) {
      throw new UsageException(output + " exists; use --force to replace it");
    }
    if (Files.exists(output) && Files.exists(model) && Files.isSameFile(output, model)) {
      throw new UsageException("the output " + output + " is the input model");
    }
    TrainStepGraph step;
    WriteResult written;
    try (OnnxModel source = OnnxModel.read(model)) {
      Onnx.ModelProto forward = source.materializedProto();
      try {
        step = TrainingGraphBuilder.build(forward, options);
      } catch (TrainGraphException e) {
        throw new InvalidModelException(model, e.getMessage());
      }
      written = ModelWriter.write(source, step.model(), output,
          WriteOptions.defaults().withLayout(layout).withOverwrite(force));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JSON.writeValueAsString(contract(step, options, written)));
    } else if (!quiet) {
      out.println("zero-init " + Version.get() + " train-graph: " + model + " -> "
          + written.model() + " (" + Sizes.human(written.bytesWritten()) + ")");
      out.println("  " + step.summary() + "; loss " + options.loss().optionName() + ", "
          + describe(options.optimizer()));
      out.println("  inputs: " + String.join(", ", step.batchInputs()) + ", "
          + step.targetsInput() + ", " + step.learningRateInput() + " + " + step.carried().size()
          + " carried (parameters, optimizer state, step, running statistics)");
      out.println("  outputs: " + step.lossOutput()
          + step.correctOutput().map(c -> ", " + c).orElse("") + " + "
          + step.carried().size() + " X.new"
          + (step.gradientOutputs().isEmpty() ? "" : " + " + step.gradientOutputs().size()
          + " P.grad"));
      for (String note : written.notes()) {
        out.println("  note: " + note);
      }
    }
    out.flush();
    return ExitCodes.OK;
  }

  private TrainOptions options() throws UsageException {
    LossKind lossKind;
    OptimizerConfig.Kind kind;
    try {
      lossKind = LossKind.parse(loss);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--loss: '" + loss + "' is not one of ce, mse, lm");
    }
    try {
      kind = OptimizerConfig.Kind.parse(optimizer);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--optimizer: '" + optimizer + "' is not one of sgd, adamw");
    }
    if (batch < 0) {
      throw new UsageException("--batch must be positive: " + batch);
    }
    OptimizerConfig cfg;
    try {
      if (kind == OptimizerConfig.Kind.SGD) {
        if (betas != null) {
          throw new UsageException("--betas is an AdamW option");
        }
        cfg = OptimizerConfig.sgd(momentum, nesterov, weightDecay == null ? 1e-4 : weightDecay);
      } else {
        if (nesterov) {
          throw new UsageException("--nesterov is an SGD option");
        }
        double b1 = 0.9;
        double b2 = 0.999;
        if (betas != null) {
          String[] parts = betas.split(",");
          try {
            if (parts.length != 2) {
              throw new NumberFormatException();
            }
            b1 = Double.parseDouble(parts[0].trim());
            b2 = Double.parseDouble(parts[1].trim());
          } catch (NumberFormatException e) {
            throw new UsageException("--betas takes two numbers, B1,B2: '" + betas + "'");
          }
        }
        cfg = OptimizerConfig.adamw(b1, b2, eps, weightDecay == null ? 0.01 : weightDecay);
      }
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Pattern frozen = null;
    if (!freeze.isEmpty()) {
      StringBuilder any = new StringBuilder();
      for (String r : freeze) {
        try {
          Pattern.compile(r);
        } catch (PatternSyntaxException e) {
          throw new UsageException("--freeze: invalid regular expression '" + r + "': "
              + e.getDescription());
        }
        any.append(any.length() == 0 ? "" : "|").append("(?:").append(r).append(')');
      }
      frozen = Pattern.compile(any.toString());
    }
    return new TrainOptions(lossKind, cfg, frozen, batch, outputName, gradients,
        embedInitialValues);
  }

  private static String describe(OptimizerConfig o) {
    return switch (o.kind()) {
      case SGD -> "SGD (momentum " + o.momentum() + (o.nesterov() ? ", Nesterov" : "")
          + ", weight decay " + o.weightDecay() + ")";
      case ADAMW -> "AdamW (betas " + o.beta1() + ", " + o.beta2() + ", eps " + o.epsilon()
          + ", weight decay " + o.weightDecay() + ")";
    };
  }

  private Map<String, Object> contract(TrainStepGraph step, TrainOptions o, WriteResult w) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("tool", "zero-init");
    root.put("version", Version.get());
    root.put("input", model.toString());
    root.put("output", w.model().toString());
    root.put("loss", o.loss().optionName());
    Map<String, Object> opt = new LinkedHashMap<>();
    opt.put("kind", o.optimizer().kind().optionName());
    opt.put("momentum", o.optimizer().momentum());
    opt.put("nesterov", o.optimizer().nesterov());
    opt.put("weightDecay", o.optimizer().weightDecay());
    if (o.optimizer().kind() == OptimizerConfig.Kind.ADAMW) {
      opt.put("betas", List.of(o.optimizer().beta1(), o.optimizer().beta2()));
      opt.put("eps", o.optimizer().epsilon());
    }
    root.put("optimizer", opt);
    root.put("batchInputs", step.batchInputs());
    root.put("targets", step.targetsInput());
    root.put("learningRate", step.learningRateInput());
    root.put("lossOutput", step.lossOutput());
    root.put("correctOutput", step.correctOutput().orElse(null));
    List<Map<String, Object>> carried = new ArrayList<>();
    for (TrainStepGraph.Carried c : step.carried()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("input", c.input());
      m.put("output", c.output());
      m.put("role", c.role().name().toLowerCase());
      if (c.owner() != null) {
        m.put("parameter", c.owner());
      }
      m.put("shape", c.dims());
      m.put("initial", switch (c.role()) {
        case PARAMETER, RUNNING_MEAN, RUNNING_VAR -> "the input model's initializer '"
            + c.input() + "'";
        case STEP -> "0";
        default -> "zeros";
      });
      carried.add(m);
    }
    root.put("carried", carried);
    root.put("gradientOutputs", step.gradientOutputs());
    root.put("notTrained", step.excluded());
    return root;
  }
}
