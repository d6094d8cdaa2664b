package dev.zeroinit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.data.DataLoader;
import dev.zeroinit.finetune.data.DataSplits;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.finetune.data.Normalization;
import dev.zeroinit.finetune.train.Evaluator;
import dev.zeroinit.finetune.train.FinetuneException;
import dev.zeroinit.finetune.train.TrainedModel;
import dev.zeroinit.onnxio.AtomicFile;
import dev.zeroinit.onnxio.OnnxModel;
import dev.zeroinit.verify.DeviceUnavailableException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init eval MODEL --data PATH}: loss and accuracy of a model on a data set. */
@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Measure MODEL's loss and accuracy on the test set of --data with ONNX Runtime.",
        "",
        "ONNX Runtime opens the model file as it is. The loss is computed from the model's output in double "
            + "precision (cross-entropy: log-sum-exp minus the label's logit; a prediction is correct when the "
            + "label's logit is the first largest), as 'finetune' measures its test set, so a model it wrote "
            + "reproduces its last test accuracy. The normalisation and the loss a 'finetune' run recorded in "
            + "the model are used unless --normalize or --loss are given.",
        ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:internal error (a bug; please report it)",
        "2:usage error (bad option, data that does not fit the model, --json exists without --force)",
        "3:the model or the data is not valid, or ONNX Runtime refuses the model",
        "4:I/O error",
        "7:--device cuda where CUDA cannot be used",
        "8:the model cannot run on this execution provider"})
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model to evaluate.")
  Path model;

  @Mixin
  DataSourceOptions dataSource;

  @Option(names = "--split", paramLabel = "test|train", defaultValue = "test",
      description = "Which part of the data to evaluate (default test).")
  String split;

  @Option(names = "--loss", paramLabel = "ce|mse|lm",
      description = "The loss (default: the one the model was fine-tuned with, else ce).")
  String loss;

  @Option(names = "--output-name", paramLabel = "NAME", description = "The model output to score "
      + "(default: its first).")
  String outputName;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Samples per run "
      + "(default 256).")
  int batch;

  @Mixin
  RuntimeOptions runtime;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON (keys loss, accuracy, "
      + "samples, correct, ...).")
  Path json;

  @Option(names = {"-f", "--force"}, description = "Replace --json if it exists.")
  boolean force;

  @Option(names = {"-q", "--quiet"}, description = "Print nothing (with --json).")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    if (batch < 1) {
      throw new UsageException("--batch: " + batch + " must be at least 1");
    }
    if (!split.equals("test") && !split.equals("train")) {
      throw new UsageException("--split: '" + split + "' is not test or train");
    }
    if (json != null) {
      Path folder = json.toAbsolutePath().normalize().getParent();
      if (folder == null || !Files.isDirectory(folder)) {
        throw new java.nio.file.NoSuchFileException(String.valueOf(folder), null,
            "the folder for " + json.getFileName() + " does not exist");
      }
      if (Files.exists(json) && (!force || !Files.isRegularFile(json))) {
        throw new UsageException("--json " + json + (Files.isRegularFile(json)
            ? " exists; use --force to replace it" : " is not a regular file"));
      }
    }
    var device = runtime.device();
    int threads = runtime.threads();
    Normalization given = dataSource.normalization();
    VerifyRunner.requireRuntime();
    PrintWriter out = spec.commandLine().getOut();
    try (OnnxModel source = OnnxModel.read(model)) {
      Map<String, String> meta = TrainedModel.metadata(source.proto());
      Normalization norm = given;
      String normFrom = given != null ? "--normalize" : null;
      if (norm == null && meta.containsKey(TrainedModel.META_NORMALIZE)) {
        try {
          norm = Normalization.parse(meta.get(TrainedModel.META_NORMALIZE));
          normFrom = "the model's metadata";
        } catch (IllegalArgumentException e) {
          throw new dev.zeroinit.onnxio.InvalidModelException(model, "metadata "
              + TrainedModel.META_NORMALIZE + " is not MEAN,STD: " + e.getMessage());
        }
      }
      LossKind lossKind;
      try {
        lossKind = LossKind.parse(loss != null ? loss : meta.getOrDefault(TrainedModel.META_LOSS, "ce"));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--loss: " + e.getMessage());
      }
      DataSplits data = DataLoader.load(dataSource.data, dataSource.options(norm));
      Dataset set = split.equals("train") ? data.train() : data.test();
      if (set == null) {
        throw new UsageException(dataSource.data + " has no test set; use --test-fraction F to hold some "
            + "training samples out, or --split train");
      }
      Evaluator.Evaluation e = Evaluator.evaluate(model, source.proto(), set, norm, lossKind, outputName, batch,
          device, threads, runtime.spin);
      Evaluator.Result r = e.result();
      String recorded = meta.get(TrainedModel.META_TEST_ACCURACY);
      if (!quiet) {
        out.println(model + " on " + e.data().describe());
        if (normFrom != null) {
          out.println("  normalization " + norm + " (from " + normFrom + ")");
        }
        out.println("  execution provider: " + e.provider().describe());
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "loss %.6f", r.loss()));
        if (!Double.isNaN(r.accuracy())) {
          line.append(String.format(Locale.ROOT, ", accuracy %.2f%% (%d/%d%s)", 100 * r.accuracy(), r.correct(),
              r.predictions(), lossKind == LossKind.LANGUAGE_MODEL ? " tokens" : ""));
        }
        if (recorded != null && !Double.isNaN(r.accuracy())) {
          double rec = Double.parseDouble(recorded);
          line.append(String.format(Locale.ROOT, "; recorded when fine-tuned: %.2f%%%s", 100 * rec,
              rec == r.accuracy() ? " (the same)" : ""));
        }
        out.println(line);
      }
      out.flush();
      if (json != null) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode j = m.createObjectNode();
        j.put("tool", "zero-init");
        j.put("version", Version.get());
        j.put("model", model.toString());
        j.put("data", dataSource.data.toString());
        j.put("split", split);
        j.put("samples", r.samples());
        j.put("loss", r.loss());
        if (Double.isNaN(r.accuracy())) {
          j.putNull("accuracy");
          j.putNull("correct");
        } else {
          j.put("accuracy", r.accuracy());
          j.put("correct", r.correct());
        }
        j.put("predictions", r.predictions());
        j.put("lossKind", lossKind.optionName());
        if (norm != null) {
          j.put("normalize", norm.toString());
        } else {
          j.putNull("normalize");
        }
        j.put("provider", e.provider().name());
        AtomicFile.write(json, m.writeValueAsBytes(j));
      }
      return ExitCodes.OK;
    } catch (FinetuneException e) {
      spec.commandLine().getErr().println("zero-init: " + FinetuneCommand.message(e, model));
      spec.commandLine().getErr().flush();
      return FinetuneCommand.failCode(e);
    } catch (DeviceUnavailableException e) {
      spec.commandLine().getErr().println("zero-init: --device cuda: CUDA cannot be used here: " + e.getMessage()
          + " (use --device auto to fall back to the CPU)");
      spec.commandLine().getErr().flush();
      return ExitCodes.DEVICE_UNAVAILABLE;
    }
  }
}
