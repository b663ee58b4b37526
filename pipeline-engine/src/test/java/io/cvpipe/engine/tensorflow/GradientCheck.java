package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.engine.ImageBatch;
import java.util.Random;

/** What the engine's gradient tests share: random images, and the engine's gradients against finite differences. */
final class GradientCheck {

  private GradientCheck() {}

  /** {@code n} images of Gaussian noise, {@code size x size x channels}. */
  static ImageBatch images(int n, int size, int channels, long seed) {
    Random r = new Random(seed);
    float[] px = new float[n * size * size * channels];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    return new ImageBatch(px, n, size, size, channels);
  }

  /**
   * For every trainable variable, its element with the largest gradient (a well-conditioned difference) against
   * the central difference of the loss; asserts each agrees to 5% (+2e-3) and that more than half the variables
   * had a gradient large enough to check. Returns how many were checked.
   */
  static int againstFiniteDifferences(TensorFlowEngine engine, ImageBatch batch, float[] target) {
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
        continue; // too flat for float32 differences to say anything
      }
      float eps = 5e-4f; // small: batch norm and ReLU make the loss piecewise smooth
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
    assertThat(checked).as("variables with a gradient large enough to check").isGreaterThan(weights.length / 2);
    return checked;
  }
}
