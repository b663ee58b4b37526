package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.engine.ImageBatch;
import java.util.Random;

/** What the engine's model tests share: random images, the engine's gradients against finite differences, a tiny task. */
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

  /** {@code labels.length} 24x24 grey images of noise with a brighter left, top or right half; labels 0, 1, 2. */
  static ImageBatch brightHalves(int[] labels, Random rnd) {
    int n = labels.length, size = 24;
    float[] px = new float[n * size * size];
    for (int i = 0; i < n; i++) {
      int c = rnd.nextInt(3);
      labels[i] = c;
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          boolean bright = c == 0 ? x < size / 2 : c == 1 ? y < size / 2 : x >= size / 2;
          px[(i * size + y) * size + x] = (float) (rnd.nextGaussian() * 0.5 + (bright ? 0.8 : -0.8));
        }
      }
    }
    return new ImageBatch(px, n, size, size, 1);
  }

  /** One-hot targets of 3 classes. */
  static float[] oneHot(int[] labels) {
    float[] t = new float[labels.length * 3];
    for (int i = 0; i < labels.length; i++) {
      t[i * 3 + labels[i]] = 1;
    }
    return t;
  }

  /** Exports the engine's model to {@code dir} and asserts the SavedModel's logits of {@code batch} are the engine's. */
  static void exportPredictsAsTheEngine(io.cvpipe.engine.Engine engine, ImageBatch batch, java.nio.file.Path dir) {
    float[] expected = engine.predict(batch);
    engine.exportSavedModel(dir);
    try (var predictor = io.cvpipe.engine.Engines.savedModel(dir)) {
      float[] exported = predictor.predict(batch);
      assertThat(exported).hasSameSizeAs(expected);
      for (int i = 0; i < expected.length; i++) {
        assertThat(exported[i]).isCloseTo(expected[i], within(1e-4f));
      }
    }
  }
}
