package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;

/**
 * Inference batch norm folded into the convolution before it gives what the unfolded convolution and batch norm
 * give, with statistics far from their initial values, for a 3x3 convolution, a strided 1x1 one and a depthwise one.
 */
class TestBatchNormFolding {

  @Test
  void foldedEqualsConvolutionThenBatchNorm() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, -1, 3)));
      Layers layers = new Layers(tf, 5, 0.9f);
      layers.training(false);
      List<Operand<TFloat32>> folded = List.of(
          layers.batchNorm("a_bn", layers.conv("a", x, 3, 3, 8, 2), 8),
          layers.batchNorm("b_bn", layers.conv("b", x, 1, 3, 4, 2), 4),
          layers.batchNorm("c_bn", layers.depthwise("c", x, 3, 3, 1), 3));
      List<Operand<TFloat32>> reference = List.of(
          unfolded(tf, graph, "a", tf.nn.conv2d(x, kernel(graph, "a_kernel"), strides(2), "SAME")),
          unfolded(tf, graph, "b", tf.nn.conv2d(x, kernel(graph, "b_kernel"), strides(2), "SAME")),
          unfolded(tf, graph, "c", tf.nn.depthwiseConv2dNative(x, kernel(graph, "c_depthwise"), strides(1), "SAME")));
      Random random = new Random(3);
      List<Op> statistics = new ArrayList<>();
      for (String bn : List.of("a_bn", "b_bn", "c_bn")) {
        for (String part : List.of("gamma", "beta", "moving_mean", "moving_variance")) {
          Operand<TFloat32> v = kernel(graph, bn + "_" + part);
          float[] values = new float[(int) v.shape().size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = part.equals("moving_variance") ? 0.2f + 3 * random.nextFloat() : (float) random.nextGaussian();
          }
          statistics.add(tf.assign(v, tf.constant(values)));
        }
      }
      float[][][][] pixels = new float[2][9][7][3];
      for (float[][][] image : pixels) {
        for (float[][] row : image) {
          for (float[] px : row) {
            for (int c = 0; c < 3; c++) {
              px[c] = (float) random.nextGaussian();
            }
          }
        }
      }
      try (Session session = new Session(graph); TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(pixels))) {
        session.initialize();
        Session.Runner assign = session.runner();
        statistics.forEach(assign::addTarget);
        assign.run();
        for (int i = 0; i < folded.size(); i++) {
          try (Result out = session.runner().feed(x, input).fetch(folded.get(i)).fetch(reference.get(i)).run()) {
            float[] got = values((TFloat32) out.get(0));
            float[] want = values((TFloat32) out.get(1));
            assertThat(got).hasSameSizeAs(want);
            double largest = 0;
            for (int j = 0; j < want.length; j++) {
              assertThat(got[j]).as("case %d value %d", i, j).isCloseTo(want[j], within(1e-4f * (1 + Math.abs(want[j]))));
              largest = Math.max(largest, Math.abs(want[j]));
            }
            assertThat(largest).as("the statistics move the output far from the convolution's").isGreaterThan(1);
          }
        }
      }
    }
  }

  private static Operand<TFloat32> unfolded(Ops tf, Graph graph, String name, Operand<TFloat32> conv) {
    String bn = name + "_bn_";
    return tf.nn.fusedBatchNorm(conv, kernel(graph, bn + "gamma"), kernel(graph, bn + "beta"),
        kernel(graph, bn + "moving_mean"), kernel(graph, bn + "moving_variance"), FusedBatchNorm.isTraining(false),
        FusedBatchNorm.epsilon(1e-5f)).y();
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> kernel(Graph graph, String name) {
    return (Operand<TFloat32>) (Operand<?>) graph.operation(name).output(0);
  }

  private static List<Long> strides(long stride) {
    return Arrays.asList(1L, stride, stride, 1L);
  }

  private static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }
}
