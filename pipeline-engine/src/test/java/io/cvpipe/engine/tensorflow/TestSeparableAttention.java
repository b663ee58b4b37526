package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * MobileViTv2's separable self-attention against CVNets' LinearSelfAttention written out in plain loops: query,
 * keys and values from one projection, the query's softmax over the patches (not the channels), one context vector
 * per sequence, ReLU(values) scaled by it, the output projection.
 */
class TestSeparableAttention {

  @Test
  void equalsLinearSelfAttentionComputedByHand() {
    int sequences = 2, patches = 5, d = 4;
    Random random = new Random(8);
    float[][][] input = new float[sequences][patches][d];
    for (float[][] sequence : input) {
      for (float[] token : sequence) {
        for (int c = 0; c < d; c++) {
          token[c] = (float) random.nextGaussian();
        }
      }
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, patches, d)));
      Layers layers = new Layers(tf, 5, 0.9f);
      Operand<TFloat32> attended = MobileViTv2.attention(layers, "a", x, d);
      try (Session session = new Session(graph); TFloat32 in = TFloat32.tensorOf(StdArrays.ndCopyOf(input))) {
        session.initialize();
        // the biases start at zero: give them values, so that a bias in the wrong place shows
        session.runner().addTarget(tf.assign(variable(graph, "a_qkv_bias"), tf.constant(gaussian(random, 1 + 2 * d))))
            .addTarget(tf.assign(variable(graph, "a_out_bias"), tf.constant(gaussian(random, d)))).run();
        try (Result out = session.runner().feed(x, in).fetch(attended).fetch("a_qkv_kernel").fetch("a_qkv_bias")
            .fetch("a_out_kernel").fetch("a_out_bias").run()) {
          float[] got = values((TFloat32) out.get(0));
          float[] qkvKernel = values((TFloat32) out.get(1)); // [d, 1 + 2d]
          float[] qkvBias = values((TFloat32) out.get(2));
          float[] outKernel = values((TFloat32) out.get(3)); // [d, d]
          float[] outBias = values((TFloat32) out.get(4));
          int width = 1 + 2 * d;
          for (int s = 0; s < sequences; s++) {
            double[][] qkv = new double[patches][width];
            for (int n = 0; n < patches; n++) {
              for (int o = 0; o < width; o++) {
                double sum = qkvBias[o];
                for (int c = 0; c < d; c++) {
                  sum += input[s][n][c] * qkvKernel[c * width + o];
                }
                qkv[n][o] = sum;
              }
            }
            double max = Double.NEGATIVE_INFINITY, total = 0;
            for (double[] token : qkv) {
              max = Math.max(max, token[0]);
            }
            double[] score = new double[patches];
            for (int n = 0; n < patches; n++) {
              score[n] = Math.exp(qkv[n][0] - max);
              total += score[n];
            }
            double[] context = new double[d];
            for (int n = 0; n < patches; n++) {
              for (int c = 0; c < d; c++) {
                context[c] += qkv[n][1 + c] * score[n] / total;
              }
            }
            for (int n = 0; n < patches; n++) {
              for (int o = 0; o < d; o++) {
                double sum = outBias[o];
                for (int c = 0; c < d; c++) {
                  sum += Math.max(0, qkv[n][1 + d + c]) * context[c] * outKernel[c * d + o];
                }
                assertThat(got[(s * patches + n) * d + o]).as("sequence %d patch %d channel %d", s, n, o)
                    .isCloseTo((float) sum, within(1e-5f * (1 + (float) Math.abs(sum))));
              }
            }
          }
        }
      }
    }
  }

  @Test
  void groupNormOfTheTokensNormalisesEachImageOverAllItsValues() {
    // GroupNorm(1) on the unfolded [4B, N, d] tokens must equal per-image statistics over the whole H x W x d map
    int batch = 3, side = 4, d = 2;
    Random random = new Random(9);
    float[][][][] map = new float[batch][side][side][d];
    for (int b = 0; b < batch; b++) {
      for (float[][] row : map[b]) {
        for (float[] px : row) {
          for (int c = 0; c < d; c++) {
            px[c] = (float) (random.nextGaussian() * (b + 1) + 3 * b); // each image its own mean and spread
          }
        }
      }
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, side, side, d)));
      Layers layers = new Layers(tf, 5, 0.9f);
      MobileViT.Patches patches = MobileViT.Patches.unfold(tf, x, d);
      Operand<TFloat32> normalised = patches.fold(MobileViTv2.groupNorm(layers, "gn", patches.tokens(), d));
      try (Session session = new Session(graph); TFloat32 in = TFloat32.tensorOf(StdArrays.ndCopyOf(map))) {
        session.initialize();
        try (Result out = session.runner().feed(x, in).fetch(normalised).run()) {
          float[] got = values((TFloat32) out.get(0));
          int per = side * side * d;
          for (int b = 0; b < batch; b++) {
            double mean = 0, square = 0;
            for (float[][] row : map[b]) {
              for (float[] px : row) {
                for (float v : px) {
                  mean += v / per;
                }
              }
            }
            for (float[][] row : map[b]) {
              for (float[] px : row) {
                for (float v : px) {
                  square += (v - mean) * (v - mean) / per;
                }
              }
            }
            for (int y = 0; y < side; y++) {
              for (int xx = 0; xx < side; xx++) {
                for (int c = 0; c < d; c++) {
                  double want = (map[b][y][xx][c] - mean) / Math.sqrt(square + 1e-5);
                  assertThat(got[((b * side + y) * side + xx) * d + c]).as("image %d (%d, %d) channel %d", b, y, xx, c)
                      .isCloseTo((float) want, within(1e-4f));
                }
              }
            }
          }
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> variable(Graph graph, String name) {
    return (Operand<TFloat32>) (Operand<?>) graph.operation(name).output(0);
  }

  private static float[] gaussian(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }
}
