package io.cvpipe.engine.tensorflow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * CVNets' exponential moving average of the weights and batch-norm statistics: {@code shadow = (1 - m) shadow +
 * m variable} after every step. {@code updates} move the shadows (each after all of the step's updates);
 * {@code start} copies the variables into their shadows, once the session has initialised them.
 */
record MovingAverage(List<Op> updates, Op start) {

  /** The averaging of each (variable, shadow) pair, after every op of {@code stepUpdates}. */
  static MovingAverage track(Ops tf, Map<Variable<TFloat32>, Variable<TFloat32>> shadows, double momentum,
      List<Op> stepUpdates) {
    Ops afterUpdates = tf.withControlDependencies(stepUpdates);
    Operand<TFloat32> m = tf.constant((float) momentum);
    Operand<TFloat32> keep = tf.constant((float) (1 - momentum));
    List<Op> averaging = new ArrayList<>();
    List<Op> copies = new ArrayList<>();
    for (Map.Entry<Variable<TFloat32>, Variable<TFloat32>> pair : shadows.entrySet()) {
      Variable<TFloat32> shadow = pair.getValue();
      averaging.add(afterUpdates.assign(shadow, afterUpdates.math.add(afterUpdates.math.mul(shadow, keep),
          afterUpdates.math.mul(pair.getKey(), m))));
      copies.add(tf.assign(shadow, pair.getKey()));
    }
    return new MovingAverage(averaging, tf.withControlDependencies(copies).noOp());
  }
}
