package dev.zeroinit.finetune.train;

import dev.zeroinit.init.PlanOptions;
import dev.zeroinit.init.Planner;
import dev.zeroinit.init.Rewriter;
import dev.zeroinit.models.ModelCatalog;
import dev.zeroinit.models.ModelOptions;
import dev.zeroinit.onnxio.proto.Onnx;
import dev.zeroinit.onnxio.testing.Fixtures;
import java.nio.file.Path;
import java.util.Map;

/** Test models (ZerO-initialised by the init module's planner and rewriter) and data. */
final class Models {
  static final String FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

  private Models() {}

  /** Debian's Fashion-MNIST; skips (fails under CI=1) when it is not installed. */
  static Path fashionMnist() {
    return Fixtures.requireDirectory(
        Path.of(System.getProperty("zeroinit.fashion.mnist", FASHION_MNIST)),
        "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)");
  }

  /** A catalog model with ZerO's default plan applied. */
  static Onnx.ModelProto zero(String name, ModelOptions options) throws Exception {
    Onnx.ModelProto m = ModelCatalog.standard().build(name, options);
    return Rewriter.apply(m, Planner.plan(m, PlanOptions.defaults()), Map.of());
  }

  /** The paper's MLP 784-784-1024-1024-10, ZerO. */
  static Onnx.ModelProto zeroMlp() throws Exception {
    return zero("mlp", ModelOptions.DEFAULTS);
  }

  /** The README's small ResNet for 28x28 grey images, ZerO. */
  static Onnx.ModelProto zeroSampleResNet() throws Exception {
    return zero("sample-resnet", ModelOptions.DEFAULTS.withInChannels(1).withImageSize(28));
  }
}
