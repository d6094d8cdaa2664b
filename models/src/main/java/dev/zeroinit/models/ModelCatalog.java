package dev.zeroinit.models;

import dev.zeroinit.onnxio.proto.Onnx;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The named reference models the tool can generate (for the README, the tests and the benchmark),
 * each with a one-line description. Names are looked up exactly; an unknown name is an
 * {@link IllegalArgumentException} listing the known ones.
 */
public final class ModelCatalog {

  /** One named model: its description and how to build it from options. */
  public record Entry(String name, String description,
      Function<ModelOptions, Onnx.ModelProto> builder) {
    public Entry {
      Objects.requireNonNull(name);
      Objects.requireNonNull(description);
      Objects.requireNonNull(builder);
    }
  }

  private static final ModelCatalog STANDARD = new ModelCatalog(List.of(
      new Entry(SampleResNet.NAME, SampleResNet.DESCRIPTION, SampleResNet::build),
      new Entry(ResNet50.NAME, ResNet50.DESCRIPTION, ResNet50::build),
      new Entry(Mlp.NAME, Mlp.DESCRIPTION, Mlp::build),
      new Entry(CifarResNet.RESNET18, CifarResNet.DESCRIPTION_18, CifarResNet::resnet18),
      new Entry(CifarResNet.RESNET34, CifarResNet.DESCRIPTION_34, CifarResNet::resnet34),
      new Entry(TransformerLm.NAME, TransformerLm.DESCRIPTION, TransformerLm::build)));

  private final List<Entry> entries;

  /** A catalog of the given entries, in this order; names must be unique. */
  public ModelCatalog(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    if (names().stream().distinct().count() != this.entries.size()) {
      throw new IllegalArgumentException("duplicate model names in " + names());
    }
  }

  /**
   * The project's models: sample-resnet, resnet50, mlp, resnet18, resnet34, transformer-lm (new
   * entries go last, so the older ones keep their place in listings).
   */
  public static ModelCatalog standard() {
    return STANDARD;
  }

  public List<Entry> entries() {
    return entries;
  }

  public List<String> names() {
    return entries.stream().map(Entry::name).toList();
  }

  /** The entry called {@code name}. */
  public Entry entry(String name) {
    return entries.stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "unknown model '" + name + "'; known models: " + String.join(", ", names())));
  }

  /** Builds the model called {@code name}. */
  public Onnx.ModelProto build(String name, ModelOptions options) {
    return entry(name).builder().apply(Objects.requireNonNull(options));
  }
}
