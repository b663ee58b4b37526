package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.types.TFloat32;

/**
 * The optimiser's update ops: SGD with momentum ({@code ApplyMomentum}, weight decay added to the gradients of
 * kernels only, as PyTorch's coupled L2) or AdamW (decoupled decay), after optional clipping by global norm.
 */
final class Optimizer {

  private Optimizer() {}

  /**
   * One update per trainable variable, each built on {@code after} (so that it waits for every gradient), then
   * AdamW's bias-correction advances. The first {@code decayed} variables take weight decay.
   */
  @SuppressWarnings("unchecked")
  static List<Op> updates(Ops tf, Ops after, OptimizerSpec optimizer, List<Variable<TFloat32>> trainable, int decayed,
      Output<?>[] grads, Operand<TFloat32> learningRate) {
    Operand<TFloat32> clipScale = optimizer.gradientClipNorm() > 0 ? clipScale(tf, grads, optimizer.gradientClipNorm()) : null;
    Operand<TFloat32> momentum = tf.constant((float) optimizer.momentum());
    Operand<TFloat32> decay = tf.constant((float) optimizer.weightDecay());
    boolean adamw = optimizer.kind() == OptimizerSpec.Kind.ADAMW;
    Variable<TFloat32> beta1Power = adamw ? tf.variable(tf.constant((float) optimizer.beta1())) : null;
    Variable<TFloat32> beta2Power = adamw ? tf.variable(tf.constant((float) optimizer.beta2())) : null;
    List<Op> steps = new ArrayList<>();
    for (int i = 0; i < trainable.size(); i++) {
      Variable<TFloat32> v = trainable.get(i);
      Operand<TFloat32> g = (Operand<TFloat32>) grads[i];
      if (clipScale != null) {
        g = tf.math.mul(g, clipScale);
      }
      boolean decays = i < decayed && optimizer.weightDecay() > 0;
      if (adamw) {
        Ops step = after;
        if (decays) { // decoupled: shrink the weights first, from their value before the step
          step = after.withControlDependencies(List.of(after.assignSub(v, after.math.mul(v,
              after.math.mul(learningRate, decay)))));
        }
        steps.add(step.train.applyAdam(v, tf.variable(tf.zerosLike(v)), tf.variable(tf.zerosLike(v)), beta1Power,
            beta2Power, learningRate, tf.constant((float) optimizer.beta1()), tf.constant((float) optimizer.beta2()),
            tf.constant((float) optimizer.epsilon()), g));
      } else {
        if (decays) {
          g = tf.math.add(g, tf.math.mul(v, decay)); // coupled L2, as PyTorch SGD; never on BN or bias
        }
        Variable<TFloat32> accumulator = tf.variable(tf.zerosLike(v));
        steps.add(after.train.applyMomentum(v, accumulator, learningRate, g, momentum,
            ApplyMomentum.useNesterov(optimizer.nesterov())));
      }
    }
    List<Op> updates = new ArrayList<>(steps);
    if (adamw) { // bias corrections advance once every parameter has taken its step
      Ops afterSteps = tf.withControlDependencies(steps);
      updates.add(afterSteps.assign(beta1Power, afterSteps.math.mul(beta1Power, tf.constant((float) optimizer.beta1()))));
      updates.add(afterSteps.assign(beta2Power, afterSteps.math.mul(beta2Power, tf.constant((float) optimizer.beta2()))));
    }
    return updates;
  }

  /** {@code min(1, clip / globalNorm)}, PyTorch's {@code clip_grad_norm_} factor (without its 1e-6). */
  private static Operand<TFloat32> clipScale(Ops tf, Output<?>[] grads, double clip) {
    Operand<TFloat32> squares = null;
    for (Output<?> g : grads) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> sq = tf.math.mul(tf.nn.l2Loss((Operand<TFloat32>) g), tf.constant(2f)); // sum of squares
      squares = squares == null ? sq : tf.math.add(squares, sq);
    }
    Operand<TFloat32> norm = tf.math.sqrt(squares);
    Operand<TFloat32> limit = tf.constant((float) clip);
    return tf.math.div(limit, tf.math.maximum(norm, limit));
  }
}
