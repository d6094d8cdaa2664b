package dev.zeroinit.init;

import java.util.Arrays;

/**
 * One shape-preserving or shape-changing node between a stored weight and the op that reads it:
 * Identity, Cast, Transpose, Reshape, Flatten, Squeeze or Unsqueeze. Only Transpose reorders
 * elements; the others keep the row-major order and change at most the shape.
 *
 * @param op the op type
 * @param perm Transpose's permutation (null for other ops)
 * @param outShape the shape after this step
 */
public record ChainStep(String op, int[] perm, long[] outShape) {

  /** For the plan: {@code Transpose(perm=[1, 0])}, {@code Reshape->[64, 3, 3, 3]}, {@code Identity}. */
  public String describe() {
    if (perm != null) {
      return op + "(perm=" + Arrays.toString(perm) + ")";
    }
    return op.equals("Identity") || op.equals("Cast") ? op : op + "->" + Arrays.toString(outShape);
  }
}
