package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MobileViT's gradients (attention's batched products with their registered gradient, softmax, layer norm,
 * unfold and fold, swish) against central finite differences of its loss. This class runs in its own Surefire
 * execution with TensorFlow's Eigen kernels ({@code TF_ENABLE_ONEDNN_OPTS=0}, see pipeline-engine/pom.xml):
 * under oneDNN, TensorFlow 2.18's convolution input gradient is wrong for some shapes (e.g. a 1x1 convolution of
 * 80 channels on 4x8x8: forward equal to Eigen's, input gradient not), which is not this graph's to fix.
 */
class TestMobileViTGradients {

  private static final OptimizerSpec PLAIN = new OptimizerSpec(0, false, 0, 0.1);

  private static ImageBatch images(int n, int size, int channels, long seed) {
    Random r = new Random(seed);
    float[] px = new float[n * size * size * channels];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    return new ImageBatch(px, n, size, size, channels);
  }

  @Test
  void gradientsMatchCentralFiniteDifferences() {
    assertThat(System.getenv("TF_ENABLE_ONEDNN_OPTS")).as("run by the eigen-gradients execution").isEqualTo("0");
    // 32x32 at stem stride 1: the transformer stages see 8x8, 4x4 and 2x2 maps (batch norm over 8 x 2 x 2 values)
    ModelSpec spec = new ModelSpec("mobilevit-xxs", 0.25, 3, 3, 1, false, 7);
    ImageBatch batch = images(8, 32, 3, 11);
    float[] target = new float[8 * 3];
    for (int i = 0; i < 8; i++) {
      for (int c = 0; c < 3; c++) {
        target[i * 3 + c] = c == i % 3 ? 0.8f : 0.1f;
      }
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, PLAIN, Device.CPU)) {
      float[][] grads = engine.gradients(batch, target);
      float[][] weights = engine.weights();
      int checked = 0;
      for (int v = 0; v < weights.length; v++) {
        int at = 0;
        for (int i = 1; i < grads[v].length; i++) {
          if (Math.abs(grads[v][i]) > Math.abs(grads[v][at])) {
            at = i;
          }
        }
        if (Math.abs(grads[v][at]) < 1e-3) {
          continue; // too flat for float32 differences
        }
        float eps = 5e-4f;
        float original = weights[v][at];
        weights[v][at] = original + eps;
        engine.setWeights(weights);
        double up = engine.loss(batch, target);
        weights[v][at] = original - eps;
        engine.setWeights(weights);
        double down = engine.loss(batch, target);
        weights[v][at] = original;
        engine.setWeights(weights);
        double numeric = (up - down) / (2 * eps);
        assertThat(numeric).as("d loss / d variable %d element %d", v, at)
            .isCloseTo(grads[v][at], within(0.05 * Math.abs(grads[v][at]) + 2e-3));
        checked++;
      }
      // every kind of parameter: convolutions, batch and layer norms, attention and FFN projections
      assertThat(checked).as("variables with a gradient large enough to check").isGreaterThan(weights.length / 2);
    }
  }

}
