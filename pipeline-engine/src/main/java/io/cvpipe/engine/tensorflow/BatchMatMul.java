package io.cvpipe.engine.tensorflow;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.OperationAttributeInspector;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Batched matrix products ({@code BatchMatMulV2}, built by name: TF Java 1.1 has no typed wrapper for it) over
 * tensors of the same batch shape, {@code [..., m, k] x [..., k, n]}, either side optionally transposed; with its
 * gradient registered through TF Java's custom-gradient hook when TensorFlow's C++ registry lacks one.
 */
final class BatchMatMul {

  private BatchMatMul() {}

  /** {@code a x b}, with {@code a} or {@code b} transposed in its last two axes when asked. */
  static Operand<TFloat32> product(Ops tf, Operand<TFloat32> a, Operand<TFloat32> b, boolean adjointA,
      boolean adjointB) {
    registerGradient();
    return tf.scope().opBuilder("BatchMatMulV2", "BatchMatMulV2")
        .addInput(a.asOutput())
        .addInput(b.asOutput())
        .setAttr("adj_x", adjointA)
        .setAttr("adj_y", adjointB)
        .build()
        .output(0);
  }

  /**
   * For {@code C = op(A) op(B)} with upstream {@code G}: {@code A B}: (G B', A' G); {@code A B'}: (G B, G' A);
   * {@code A' B}: (B G', A G); {@code A' B'}: (B' G', G' A'). Same batch shapes only (no broadcasting).
   */
  @SuppressWarnings("unchecked")
  private static void registerGradient() {
    CustomGradients.registerOnce("BatchMatMulV2", (tf, op, upstream) -> {
      OperationAttributeInspector attributes = op.attributes();
      boolean adjX = attributes.getAttrBool("adj_x");
      boolean adjY = attributes.getAttrBool("adj_y");
      Operand<TFloat32> a = (Operand<TFloat32>) op.input(0);
      Operand<TFloat32> b = (Operand<TFloat32>) op.input(1);
      Operand<TFloat32> g = (Operand<TFloat32>) upstream.get(0);
      if (!adjX && !adjY) {
        return List.of(product(tf, g, b, false, true), product(tf, a, g, true, false));
      }
      if (!adjX) {
        return List.of(product(tf, g, b, false, false), product(tf, g, a, true, false));
      }
      if (!adjY) {
        return List.of(product(tf, b, g, false, true), product(tf, a, g, false, false));
      }
      return List.of(product(tf, b, g, true, true), product(tf, g, a, true, true));
    });
  }
}
