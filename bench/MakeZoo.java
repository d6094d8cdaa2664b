// A zoo of 50 mixed models for bench/batch-bench.sh, built with the project's own builders:
//   java -cp cli/target/zero-init.jar bench/MakeZoo.java OUTDIR
// 20 sample ResNets (widths 0.5, 1, 2; 0.2 to 2.7 MB), 20 MLPs (n_h 64 to 2048, every other one with
// external data; 0.2 to 23 MB), 8 external-data MatMul stacks (4 layers of 1024 or 2048; 16 to 64 MB),
// 2 ResNet-50 (width 0.5 and 1; 26 and 102 MB), in nested folders. Deterministic: same files each run.
import dev.zeroinit.models.LargeMatMulModel;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.ExternalDataLayout;
import dev.zeroinit.onnxio.ModelWriter;
import dev.zeroinit.onnxio.WriteOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import java.nio.file.Files;
import java.nio.file.Path;

public class MakeZoo {
  static void write(Onnx.ModelProto m, Path file, ExternalDataLayout layout) throws Exception {
    Files.createDirectories(file.getParent());
    ModelWriter.write(null, m, file, WriteOptions.defaults().withLayout(layout).withOverwrite(true)
        .withDurable(false));
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    ModelCatalog c = ModelCatalog.standard();
    double[] widths = {0.5, 1.0, 2.0};
    for (int i = 0; i < 20; i++) {
      write(c.build("sample-resnet", ModelOptions.DEFAULTS.withSeed(i).withWidthMultiplier(widths[i % 3])),
          root.resolve("cnn/family" + (i % 4) + "/resnet_" + i + ".onnx"), ExternalDataLayout.INLINE);
    }
    int[] hidden = {64, 128, 256, 512, 1024, 2048};
    for (int i = 0; i < 20; i++) {
      write(c.build("mlp", ModelOptions.DEFAULTS.withSeed(i).withHidden(hidden[i % hidden.length])),
          root.resolve("mlp/mlp_" + i + ".onnx"), i % 2 == 0 ? ExternalDataLayout.INLINE : ExternalDataLayout.SINGLE);
    }
    for (int i = 0; i < 8; i++) {
      long w = i % 2 == 0 ? 1024 : 2048;
      Path dir = root.resolve("stack/s" + i);
      Files.createDirectories(dir);
      LargeMatMulModel.write(dir.resolve("stack.onnx"), new long[] {w, w, 2 * w, w, w}, true);
    }
    write(c.build("resnet50", ModelOptions.DEFAULTS.withWidthMultiplier(0.5)), root.resolve("big/resnet50_half.onnx"),
        ExternalDataLayout.INLINE);
    write(c.build("resnet50", ModelOptions.DEFAULTS), root.resolve("big/resnet50.onnx"), ExternalDataLayout.SINGLE);
    System.out.println("zoo of 50 models in " + root);
  }
}
