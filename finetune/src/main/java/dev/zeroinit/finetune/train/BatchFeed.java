package dev.zeroinit.finetune.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.zeroinit.finetune.LossKind;
import dev.zeroinit.finetune.data.Batches;
import dev.zeroinit.finetune.data.Dataset;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch input and the targets of one batch size, in direct buffers that two ORT tensors read in
 * place: each batch is written into the same memory ({@link Batches} fills it), so no tensor is made
 * per step. Float features go straight into the input buffer; token ids (int64 inputs) and int64
 * targets through small scratch arrays. A batch smaller than the size gets its own tensors over the
 * front of the buffers ({@link #tensors(int)}).
 */
final class BatchFeed implements AutoCloseable {
  private final OrtEnvironment env;
  private final ModelPorts ports;
  private final Dataset data;
  private final LossKind loss;
  private final int batch;
  private final int sampleSize;
  private final int targetWidth;
  private final int targetType;
  private final ByteBuffer x;
  private final ByteBuffer y;
  private final float[] xScratch;
  private final float[] yScratch;
  private final long[] labels;
  private final OnnxTensor xTensor;
  private final OnnxTensor yTensor;

  /** A feed of {@code batch} samples of {@code data} for {@code ports}' input and {@code loss}. */
  BatchFeed(OrtEnvironment env, ModelPorts ports, Dataset data, LossKind loss, int batch)
      throws OrtException {
    this.env = env;
    this.ports = ports;
    this.data = data;
    this.loss = loss;
    this.batch = batch;
    this.sampleSize = data.sampleSize();
    this.targetWidth = loss == LossKind.CROSS_ENTROPY ? 1 : data.targetSize();
    this.targetType = loss == LossKind.MSE ? DataType.FLOAT_VALUE : DataType.INT64_VALUE;
    boolean intInput = ports.inputType() == DataType.INT64_VALUE;
    this.x = TensorData.direct((long) batch * sampleSize * (intInput ? 8 : 4));
    this.y = TensorData.direct((long) batch * targetWidth * 8);
    this.xScratch = intInput ? new float[batch * sampleSize] : null;
    this.yScratch = loss != LossKind.CROSS_ENTROPY ? new float[batch * targetWidth] : null;
    this.labels = loss == LossKind.CROSS_ENTROPY && intInput ? new long[batch] : null;
    this.xTensor = TensorData.tensor(env, x, ports.inputType(), ports.inputShape(batch, data));
    this.yTensor = TensorData.tensor(env, y.slice(0, batch * targetWidth * elementBytes()),
        targetType, targetDims(batch));
  }

  private int elementBytes() {
    return targetType == DataType.FLOAT_VALUE ? 4 : 8;
  }

  private long[] targetDims(int n) {
    return switch (loss) {
      case CROSS_ENTROPY -> new long[] {n};
      case LANGUAGE_MODEL -> new long[] {n, targetWidth};
      case MSE -> {
        long[] od = ports.outputDims();
        if (od == null) {
          yield new long[] {n, targetWidth};
        }
        long[] d = od.clone();
        d[0] = n;
        for (int i = 1; i < d.length; i++) {
          if (d[i] < 0) {
            yield new long[] {n, targetWidth};
          }
        }
        yield d;
      }
    };
  }

  int batchSize() {
    return batch;
  }

  /** Bytes of the input and target tensors of a full batch. */
  long bytes() {
    return x.capacity() + (long) batch * targetWidth * elementBytes();
  }

  /**
   * Writes batch {@code b} of {@code batches} into the buffers; returns its sample count. A short
   * batch leaves the rest of the buffers zero.
   */
  int fill(Batches batches, int b) {
    int n = batches.size(b);
    if (n > batch) {
      throw new IllegalArgumentException("batch of " + n + " samples in a feed of " + batch);
    }
    boolean intInput = xScratch != null;
    if (loss == LossKind.CROSS_ENTROPY) {
      if (intInput) {
        batches.fill(b, xScratch, labels);
        toLongs(xScratch, n * sampleSize, x);
        LongBuffer yl = y.asLongBuffer();
        yl.put(labels, 0, n);
      } else {
        batches.fill(b, x.asFloatBuffer(), y.asLongBuffer());
      }
    } else if (intInput) {
      batches.fillValues(b, xScratch, yScratch);
      toLongs(xScratch, n * sampleSize, x);
      if (targetType == DataType.INT64_VALUE) {
        toLongs(yScratch, n * targetWidth, y);
      } else {
        y.asFloatBuffer().put(yScratch, 0, n * targetWidth);
      }
    } else {
      FloatBuffer yf = y.asFloatBuffer();
      if (targetType == DataType.INT64_VALUE) {
        batches.fillValues(b, x.asFloatBuffer(), FloatBuffer.wrap(yScratch));
        toLongs(yScratch, n * targetWidth, y);
      } else {
        batches.fillValues(b, x.asFloatBuffer(), yf);
      }
    }
    if (n < batch) {
      clear(x, (long) n * sampleSize * (intInput ? 8 : 4));
      clear(y, (long) n * targetWidth * elementBytes());
    }
    return n;
  }

  private static void clear(ByteBuffer b, long from) {
    for (int i = (int) from; i < b.capacity(); i++) {
      b.put(i, (byte) 0);
    }
  }

  private static void toLongs(float[] src, int n, ByteBuffer dst) {
    LongBuffer l = dst.asLongBuffer();
    for (int i = 0; i < n; i++) {
      l.put(i, Math.round(src[i]));
    }
  }

  /** The input tensor of a full batch. */
  OnnxTensor input() {
    return xTensor;
  }

  /** The target tensor of a full batch. */
  OnnxTensor targets() {
    return yTensor;
  }

  /**
   * The input and target tensors of the first {@code n} samples in the buffers: the feed's own for a
   * full batch, else two new tensors over the fronts of the buffers, which the caller closes.
   */
  List<OnnxTensor> tensors(int n) throws OrtException {
    if (n == batch) {
      return List.of(xTensor, yTensor);
    }
    boolean intInput = xScratch != null;
    List<OnnxTensor> out = new ArrayList<>(2);
    out.add(TensorData.tensor(env, x.slice(0, n * sampleSize * (intInput ? 8 : 4)),
        ports.inputType(), ports.inputShape(n, data)));
    out.add(TensorData.tensor(env, y.slice(0, n * targetWidth * elementBytes()), targetType,
        targetDims(n)));
    return out;
  }

  /** The targets of the first {@code n} samples (labels or token ids as longs, values as floats). */
  ByteBuffer targetBytes() {
    return y;
  }

  int targetWidth() {
    return targetWidth;
  }

  @Override
  public void close() {
    xTensor.close();
    yTensor.close();
  }
}
