package io.cvpipe.engine.tensorflow;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.OperationAttributeInspector;
import org.tensorflow.OperationBuilder;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * TensorFlow's collective all-reduce (the v1 {@code CollectiveReduce} op, built by name: TF Java's typed
 * wrapper is the V3 op) between the members of one replica group. Every member builds the same graph in the
 * same order, so the instance keys this class hands out in build order match across members; that is what
 * pairs the ops of different processes. A member that does not arrive within the timeout fails the op.
 */
final class Collectives {

  private static final long GROUP_KEY = 1;
  /** Instance keys of gradient all-reduces: the forward key plus this. */
  private static final long GRADIENT_KEYS = 1L << 24;

  private final int size;
  private final float timeoutSeconds;
  private final String hint;
  private int lastKey;

  /** {@code hint}: {@code "nccl"} on GPUs, {@code "auto"} (the RPC ring) otherwise. */
  Collectives(int size, int timeoutSeconds, String hint) {
    this.size = size;
    this.timeoutSeconds = timeoutSeconds;
    this.hint = hint;
  }

  /** The element-wise mean of {@code x} over the group. */
  <T extends TType> Operand<T> mean(Ops scope, Operand<T> x) {
    return reduce(scope, x, "Div");
  }

  /** The element-wise sum of {@code x} over the group. */
  <T extends TType> Operand<T> sum(Ops scope, Operand<T> x) {
    return reduce(scope, x, "Id");
  }

  private <T extends TType> Operand<T> reduce(Ops scope, Operand<T> x, String finalOp) {
    return build(scope, x, size, ++lastKey, finalOp, timeoutSeconds, hint);
  }

  @SuppressWarnings("unchecked")
  private static <T extends TType> Operand<T> build(Ops scope, Operand<T> x, long size, long key, String finalOp,
      float timeoutSeconds, String hint) {
    OperationBuilder op = scope.scope().opBuilder("CollectiveReduce", "allreduce_" + key)
        .addInput(x.asOutput())
        .setAttr("group_size", size)
        .setAttr("group_key", GROUP_KEY)
        .setAttr("instance_key", key)
        .setAttr("merge_op", "Add")
        .setAttr("final_op", finalOp)
        .setAttr("subdiv_offsets", new long[] {0})
        .setAttr("communication_hint", hint)
        .setAttr("timeout_seconds", timeoutSeconds);
    return (Operand<T>) op.build().output(0);
  }

  /**
   * Lets {@code Graph.addGradients} differentiate through a sum over the group (TensorFlow has no gradient for
   * it): every member's output is the sum of every member's input, so the gradient of an input is the sum over
   * the group of the gradients of the outputs, itself an all-reduce, keyed far from the forward keys so that the
   * members pair the same ops. Only sums are differentiable here (a mean would need the division too).
   */
  static void registerGradient() {
    CustomGradients.registerOnce("CollectiveReduce", (tf, op, upstream) -> {
      OperationAttributeInspector attributes = op.attributes();
      if (!"Id".equals(attributes.getAttrString("final_op"))) {
        throw new IllegalStateException("only a sum over the group is differentiable, not " + op.name());
      }
      return List.of(build(tf, (Operand<TType>) upstream.get(0), attributes.getAttrInt("group_size"),
          GRADIENT_KEYS + attributes.getAttrInt("instance_key"), "Id", attributes.getAttrFloat("timeout_seconds"),
          attributes.getAttrString("communication_hint")));
    });
  }
}
