package dev.zeroinit.onnxio.tensor;

/** Receives one tensor element: its flat row-major index and its exact value. */
@FunctionalInterface
public interface IndexedValueConsumer {
  void accept(long index, double value);
}
