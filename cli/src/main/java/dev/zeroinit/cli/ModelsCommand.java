package dev.zeroinit.cli;

import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.WriteResult;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.file.Path;
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
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCodes.USAGE;
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
      ModelOptions options = ModelOptions.DEFAULTS.withSeed(seed).withClasses(classes)
          .withWidthMultiplier(width).withInChannels(inChannels).withBatchNorm(!noBatchNorm)
          .withHidden(hidden);
      Onnx.ModelProto model = catalog.build(name, options);
      ExternalDataLayout layout;
      try {
        layout = ExternalDataLayout.parse(externalData);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--external-data: '" + externalData + "' is not one of inline, single");
      }
      WriteResult r = ModelWriter.write(null, model, output,
          WriteOptions.defaults().withLayout(layout == ExternalDataLayout.KEEP ? ExternalDataLayout.INLINE : layout)
              .withOverwrite(force));
      spec.commandLine().getOut().println("built " + name + " -> " + r.model() + " (" + Sizes.human(r.bytesWritten()) + ")");
      spec.commandLine().getOut().flush();
      return ExitCodes.OK;
    }
  }
}
