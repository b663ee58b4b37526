package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Precision;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.TargetedSessions;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The gradient all-reduce of a model alone, without the model's compute: one variable per trainable parameter
 * tensor of {@code spec} (same shapes, same order) and the mean over the group of each, as a training step
 * all-reduces its gradients. For benchmarks: the communication cost of a model's step on a given group.
 */
public final class AllReduceTiming {

  private AllReduceTiming() {}

  /** Milliseconds per all-reduce of every parameter tensor, averaged over {@code steps} after {@code warmup}. */
  public static double millisPerStep(ModelSpec spec, Execution execution, int warmup, int steps) {
    List<Shape> shapes;
    try (TensorFlowEngine model = TensorFlowEngine.create(spec, OptimizerSpec.sgd(0),
        Execution.local(Device.CPU, Precision.FLOAT32))) {
      shapes = model.parameterShapes();
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Collectives group = new Collectives(execution.replicas().size(), execution.replicas().timeoutSeconds(),
          Cluster.hint(execution));
      List<Op> reduced = new ArrayList<>();
      for (Shape shape : shapes) {
        Operand<TFloat32> values = tf.variable(tf.fill(tf.constant(shape.asArray()), tf.constant(0.5f)));
        reduced.add(tf.identity(group.mean(tf, values)));
      }
      Op step = tf.withControlDependencies(reduced).noOp();
      try (Session session = TargetedSessions.open(graph, Cluster.start(execution), Cluster.session(execution))) {
        session.initialize();
        for (int i = 0; i < warmup; i++) {
          session.runner().addTarget(step).run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          session.runner().addTarget(step).run();
        }
        return (System.nanoTime() - start) / 1e6 / steps;
      }
    }
  }
}
