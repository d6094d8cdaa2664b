package dev.zeroinit.cli;

import dev.zeroinit.init.InitMethod;
import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zero-init models list|build}: the project's reference architectures and sample models. */
@Command(name = "models", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "List or build the project's reference models as ONNX files.",
    subcommands = {ModelsCommand.ListCommand.class, ModelsCommand.BuildCommand.class})
final class ModelsCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws UsageException {
    throw new UsageException("models: missing command, 'list' or 'build'; try 'zero-init models --help'");
  }

  /** {@code zero-init models list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the models that can be built.")
  static final class ListCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      var out = spec.commandLine().getOut();
      var entries = ModelCatalog.standard().entries();
      int w = entries.stream().mapToInt(e -> e.name().length()).max().orElse(4);
      for (var e : entries) {
        out.println(e.name() + " ".repeat(w - e.name().length() + 2) + e.description());
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  /** {@code zero-init models build NAME -o FILE}. */
  @Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Build a model (seeded random weights, reproducible byte for byte).")
  static final class BuildCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "A name from 'zero-init models list'.")
    String name;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write it.")
    Path output;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights (default 0).")
    long seed;

    @Option(names = "--classes", defaultValue = "0", description = "Output classes (default: the model's own).")
    int classes;

    @Option(names = "--width", defaultValue = "1.0", description = "Width multiplier of the CNNs.")
    double width;

    @Option(names = "--in-channels", defaultValue = "3", description = "Input channels of the CNNs.")
    int inChannels;

    @Option(names = "--no-batchnorm", description = "CNNs without BatchNormalization (convs get biases).")
    boolean noBatchNorm;

    @Option(names = "--hidden", defaultValue = "1024", description = "Hidden width n_h of the MLP.")
    int hidden;

    @Option(names = "--image-size", defaultValue = "0", paramLabel = "PIXELS",
        description = "Height and width of the CNNs' square input (default: the model's own, 32 for"
            + " sample-resnet/resnet18/resnet34, 224 for resnet50; 28 for Fashion-MNIST).")
    int imageSize;

    @Option(names = "--layers", defaultValue = "2", paramLabel = "N",
        description = "Transformer blocks of transformer-lm (default 2).")
    int layers;

    @Option(names = "--d-model", defaultValue = "128", paramLabel = "N",
        description = "Model (embedding) width of transformer-lm (default 128).")
    int dModel;

    @Option(names = "--heads", defaultValue = "4", paramLabel = "N",
        description = "Attention heads of transformer-lm; must divide --d-model (default 4).")
    int heads;

    @Option(names = "--vocab", defaultValue = "1000", paramLabel = "N",
        description = "Vocabulary size of transformer-lm: token ids 0..vocab-1 (default 1000).")
    int vocab;

    @Option(names = "--seq", defaultValue = "64", paramLabel = "N",
        description = "Sequence length of transformer-lm, fixed in its input shape, positional"
            + " table and causal mask (default 64).")
    int seq;

    @Option(names = "--untied",
        description = "Give transformer-lm an output head of its own instead of reusing the token"
            + " embedding (tied, the default).")
    boolean untied;

    @Option(names = "--init", paramLabel = "METHOD",
        description = "Initialize the built model with zero, partial-identity, kaiming-normal, "
            + "kaiming-uniform, xavier-normal, xavier-uniform or orthogonal (seeded by --seed); "
            + "without it the weights are the builder's seeded uniform draws.")
    String init;

    @Option(names = "--external-data", paramLabel = "inline|single", defaultValue = "inline",
        description = "Write weights inside the model (default) or in one file beside it.")
    String externalData;

    @Option(names = {"-f", "--force"}, description = "Replace the output if it exists.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      ModelCatalog catalog = ModelCatalog.standard();
      if (!catalog.names().contains(name)) {
        throw new UsageException("unknown model '" + name + "'; known: " + String.join(", ", catalog.names()));
      }
      Onnx.ModelProto model;
      try {
        ModelOptions options = ModelOptions.DEFAULTS.withSeed(seed).withClasses(classes)
            .withWidthMultiplier(width).withInChannels(inChannels).withBatchNorm(!noBatchNorm)
            .withHidden(hidden).withImageSize(imageSize).withLayers(layers).withDModel(dModel)
            .withHeads(heads).withVocab(vocab).withSeq(seq).withTiedEmbeddings(!untied);
        model = catalog.build(name, options);
      } catch (IllegalArgumentException e) {
        throw new UsageException("models build " + name + ": " + e.getMessage());
      } catch (ArithmeticException e) {
        throw new UsageException("models build: " + name + " is too large with these options ("
            + e.getMessage() + ")");
      }
      if (init != null) {
        InitMethod method;
        try {
          method = InitMethod.parse(init);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--init: '" + init + "' is not one of zero, partial-identity, "
              + "kaiming-normal, kaiming-uniform, xavier-normal, xavier-uniform, orthogonal");
        }
        PlanOptions planOptions = PlanOptions.defaults().withMethod(method, seed);
        model = Rewriter.apply(model, Planner.plan(model, planOptions), Map.of(
            ZeroInitCommand.META_VERSION, Version.get(),
            ZeroInitCommand.META_OPTIONS, ZeroInitCommand.canonicalOptions(planOptions)));
      }
      ExternalDataLayout layout;
      try {
        layout = ExternalDataLayout.parse(externalData);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--external-data: '" + externalData + "' is not one of inline, single");
      }
      WriteResult r = ModelWriter.write(null, model, output,
          WriteOptions.defaults().withLayout(layout == ExternalDataLayout.KEEP ? ExternalDataLayout.INLINE : layout)
              .withOverwrite(force));
      spec.commandLine().getOut().println("built " + name + (init == null ? "" : " (" + init + ")") + " -> "
          + r.model() + " (" + Sizes.human(r.bytesWritten()) + ")");
      spec.commandLine().getOut().flush();
      return ExitCodes.OK;
    }
  }
}
