package dev.zeroinit.onnxio;

/**
 * How {@link ModelWriter} writes: the external data layout, whether an existing target may be
 * replaced, whether the target may be the input itself, the size from which tensors go external in
 * the SINGLE layout, and whether files are forced to disk before they are renamed into place.
 */
public record WriteOptions(ExternalDataLayout layout, boolean overwrite, boolean inPlace,
    long externalThreshold, boolean durable) {

  /** KEEP layout, no overwrite, not in place, 1024-byte threshold (as ONNX's own), durable. */
  public static WriteOptions defaults() {
    return new WriteOptions(ExternalDataLayout.KEEP, false, false, 1024, true);
  }

  public WriteOptions withLayout(ExternalDataLayout l) {
    return new WriteOptions(l, overwrite, inPlace, externalThreshold, durable);
  }

  public WriteOptions withOverwrite(boolean o) {
    return new WriteOptions(layout, o, inPlace, externalThreshold, durable);
  }

  public WriteOptions withInPlace(boolean p) {
    return new WriteOptions(layout, overwrite, p, externalThreshold, durable);
  }

  public WriteOptions withDurable(boolean d) {
    return new WriteOptions(layout, overwrite, inPlace, externalThreshold, d);
  }
}
