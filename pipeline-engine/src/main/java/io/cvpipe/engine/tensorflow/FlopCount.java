package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Floating-point operations of one image's forward pass, counted the usual way (a multiply-add is two): the
 * inference network is built on a throwaway graph with a static {@code 1 x height x width x channels} input, so
 * TensorFlow's shape inference gives every layer's output size, and each convolution, depthwise convolution and
 * matrix product (attention's batched ones too) the logits depend on adds {@code 2 x outputs x fan-in}. Element-wise ops (normalisation,
 * activations, pooling) are left out, as in the papers' counts. A training step costs about three times the
 * forward pass.
 */
public final class FlopCount {

  private FlopCount() {}

  public static long forward(ModelSpec spec, int height, int width) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> images = tf.placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(1, height, width, spec.channels())));
      Layers layers = new Layers(tf, spec.seed(), 0.9f);
      layers.training(false);
      Operand<TFloat32> logits = TensorFlowEngine.network(layers, spec, images);
      // the ops the logits depend on: what a run executes (a graph may hold ops no output reads)
      Set<GraphOperation> seen = new HashSet<>();
      Deque<GraphOperation> pending = new ArrayDeque<>(List.of((GraphOperation) logits.op()));
      long flops = 0;
      while (!pending.isEmpty()) {
        GraphOperation op = pending.pop();
        if (seen.add(op)) {
          flops += flops(op);
          op.inputs().forEach(input -> pending.push((GraphOperation) input.op()));
        }
      }
      return flops;
    }
  }

  private static long flops(GraphOperation op) {
    return switch (op.type()) {
      case "Conv2D", "Conv" -> { // filter [kh, kw, in, out]: every output value is a dot product over kh * kw * in
        Shape filter = op.input(1).shape();
        yield 2 * op.output(0).shape().size() * filter.get(0) * filter.get(1) * filter.get(2);
      }
      case "DepthwiseConv2dNative" -> { // filter [kh, kw, in, multiplier]: over kh * kw
        Shape filter = op.input(1).shape();
        yield 2 * op.output(0).shape().size() * filter.get(0) * filter.get(1);
      }
      case "MatMul" -> 2 * op.output(0).shape().size() * op.input(0).shape().get(1);
      case "BatchMatMulV2" -> { // [..., m, k] x [..., k, n]: every output value is a dot product over k
        Shape a = op.input(0).shape();
        boolean adjoint = op.attributes().getAttrBool("adj_x");
        yield 2 * op.output(0).shape().size() * a.get(a.numDimensions() - (adjoint ? 2 : 1));
      }
      default -> 0;
    };
  }
}
