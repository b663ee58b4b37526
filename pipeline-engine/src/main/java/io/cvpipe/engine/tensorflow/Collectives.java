package io.cvpipe.engine.tensorflow;

import org.tensorflow.Operand;
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

  @SuppressWarnings("unchecked")
  private <T extends TType> Operand<T> reduce(Ops scope, Operand<T> x, String finalOp) {
    int key = ++lastKey;
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
}
