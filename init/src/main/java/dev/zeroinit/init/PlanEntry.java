package dev.zeroinit.init;

import dev.zeroinit.onnxio.TensorSite;
import java.util.List;

/**
 * The decision for one stored tensor: what it is, who reads it, and either the ZerO rule it gets
 * (with P x Q per group or slice, the Hadamard factor and how the stored tensor holds the matrix) or
 * the reason it is left untouched.
 *
 * @param site where the tensor is stored
 * @param name its name
 * @param dataType ONNX type name, e.g. FLOAT16
 * @param shape stored dims
 * @param role what it is to its consumers
 * @param consumers e.g. {@code Gemm 'fc1'}, in graph order
 * @param rule identity, partial-identity, hadamard, zero or one; null when skipped
 * @param p output dim of the matrix (0 for fills)
 * @param q input dim of the matrix (0 for fills)
 * @param groups groups (Conv) or stacked slices (MatMul), 1 otherwise
 * @param factor the Hadamard factor c, 1 for identities, the fill value for fills
 * @param orientation how the stored tensor holds W, including the chain it passes through
 * @param notes remarks such as an even kernel's off-centre tap
 * @param skipReason why it is untouched; null when rewritten
 * @param bytes stored size in bytes
 * @param layout the consumer-side layout (null when skipped)
 * @param chain how the stored tensor reaches the consumer (null when skipped)
 */
public record PlanEntry(TensorSite site, String name, String dataType, long[] shape, Role role,
    List<String> consumers, String rule, long p, long q, long groups, double factor,
    String orientation, List<String> notes, String skipReason, long bytes,
    WeightLayout layout, ValueChain chain) {

  public boolean rewritten() {
    return skipReason == null;
  }
}
