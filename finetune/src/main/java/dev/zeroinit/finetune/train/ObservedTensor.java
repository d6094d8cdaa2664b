package dev.zeroinit.finetune.train;

import dev.zeroinit.onnxio.build.Tensors;
import dev.zeroinit.onnxio.tensor.DataType;
import java.nio.ByteBuffer;

/**
 * A carried value of a running training loop as a listener sees it ({@link
 * TrainingListener#observed}): a read-only little-endian view of ONNX Runtime's tensor, valid only
 * during the call that hands it over.
 *
 * @param name the step graph's input name (the forward model's initializer name)
 * @param type its element type
 * @param dims its shape
 * @param data its bytes
 */
public record ObservedTensor(String name, DataType type, long[] dims, ByteBuffer data) {
  /** Element {@code i} as a double, whatever the float or integer type. */
  public double get(int i) {
    return TensorData.get(data, type.code(), i);
  }

  /** The number of elements. */
  public int size() {
    return Math.toIntExact(Tensors.elementCount(dims));
  }
}
