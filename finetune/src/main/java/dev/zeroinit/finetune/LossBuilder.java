package dev.zeroinit.finetune;

import dev.zeroinit.onnxio.build.Attr;
import dev.zeroinit.onnxio.proto.Onnx.TensorProto.DataType;

/**
 * Writes the loss, the count of correct predictions and the loss's gradient with respect to the
 * model's output in closed form (softmax minus one-hot over the batch size for cross-entropy,
 * 2 (y - t) / n for MSE), so the backward pass starts from the output without differentiating the
 * loss ops themselves.
 */
final class LossBuilder {
  private LossBuilder() {}

  /**
   * What the loss wrote.
   *
   * @param loss the scalar loss
   * @param correct the int64 scalar count of correct predictions, null for MSE
   * @param outputGrad the gradient of the loss (times the seed scale, when given) with respect to the
   *     model's output
   */
  record Loss(String loss, String correct, String outputGrad) {}

  /**
   * @param output the model's output (logits, or the prediction for MSE)
   * @param targets the targets input (int64 labels, or float targets for MSE)
   * @param seedScale a scalar the output gradient is multiplied by (for example -lr), or null
   */
  static Loss emit(Emitter em, LossKind kind, String output, String targets, String seedScale) {
    long[] od = em.dims(output);
    return switch (kind) {
      case CROSS_ENTROPY -> {
        if (od == null || od.length != 2) {
          throw new TrainGraphException("cross-entropy needs logits [batch, classes]; '" + output
              + "' is " + Dims.toString(od));
        }
        yield crossEntropy(em, output, targets, seedScale);
      }
      case LANGUAGE_MODEL -> {
        if (od == null || od.length != 3) {
          throw new TrainGraphException("the language-model loss needs logits [batch, seq, vocab];"
              + " '" + output + "' is " + Dims.toString(od));
        }
        long v = od[2];
        if (v < 0) {
          throw new TrainGraphException("the vocabulary size of '" + output + "' is not static");
        }
        String flat = em.reshape(output, -1, v);
        String flatTargets = em.reshape(targets, -1);
        Loss l = crossEntropy(em, flat, flatTargets, seedScale);
        yield new Loss(l.loss(), l.correct(), em.reshapeLike(l.outputGrad(), output));
      }
      case MSE -> mse(em, output, targets, seedScale);
    };
  }

  private static Loss crossEntropy(Emitter em, String logits, String labels, String seedScale) {
    int t = em.typeOr(logits);
    long[] d = em.dims(logits);
    String logProb = em.node("LogSoftmax", new String[] {logits}, Attr.i("axis", 1));
    String classes;
    if (d[1] >= 0) {
      long[] range = Dims.range(0, (int) d[1]);
      classes = em.ints(range);
    } else {
      String c = em.node("Gather", new String[] {em.node("Shape", new String[] {logits}),
          em.intScalar(1)}, Attr.i("axis", 0));
      classes = em.node("Range", new String[] {em.intScalar(0), c, em.intScalar(1)});
    }
    String labels2 = em.unsqueeze(labels, 1);
    String hit = em.node("Equal", new String[] {labels2, classes});
    String oneHot = em.node("Cast", new String[] {hit}, Attr.i("to", t));
    String n = em.elementCount(logits, new long[] {0});
    String picked = em.reduceSumAll(em.mul(oneHot, logProb));
    String loss = em.neg(em.div(picked, n));
    String coef = seedScale == null ? em.unary("Reciprocal", n) : em.div(seedScale, n);
    String grad = em.mul(em.sub(em.unary("Exp", logProb), oneHot), coef);
    em.declare(grad, t, d);
    String predicted = em.node("ArgMax", new String[] {logits}, Attr.i("axis", 1),
        Attr.i("keepdims", 0));
    String same = em.node("Equal", new String[] {predicted, labels});
    String correct = em.node("ReduceSum", new String[] {
        em.node("Cast", new String[] {same}, Attr.i("to", DataType.INT64_VALUE))},
        Attr.i("keepdims", 0));
    return new Loss(loss, correct, grad);
  }

  private static Loss mse(Emitter em, String y, String targets, String seedScale) {
    long[] d = em.rankedDims(y);
    String diff = em.sub(y, targets);
    String loss = em.reduceMeanAll(em.mul(diff, diff));
    String n = em.elementCount(y, Dims.range(0, d.length));
    String two = em.scalar(2, em.typeOr(y));
    String coef = em.div(seedScale == null ? two : em.mul(two, seedScale), n);
    String grad = em.mul(diff, coef);
    em.declare(grad, em.typeOr(y), d);
    return new Loss(loss, null, grad);
  }
}
