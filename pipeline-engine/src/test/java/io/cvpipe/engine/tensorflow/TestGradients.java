package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import org.junit.jupiter.api.Test;

/** The engine's gradients against central finite differences of its loss, and what clipping does to a step. */
class TestGradients {

  private static final ModelSpec TINY = new ModelSpec("resnet18", 0.0625, 3, 3, 1, false, 7);
  private static final OptimizerSpec PLAIN = new OptimizerSpec(0, false, 0, 0.1);

  private static ImageBatch images(int n, int size, long seed) {
    return GradientCheck.images(n, size, 3, seed);
  }

  private static float[] smoothedTargets(int n, int classes) {
    float[] t = new float[n * classes];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < classes; c++) {
        t[i * classes + c] = c == i % classes ? 0.8f : 0.2f / (classes - 1);
      }
    }
    return t;
  }

  @Test
  void gradientsMatchCentralFiniteDifferencesOfTheLoss() {
    ImageBatch batch = images(8, 12, 11);
    float[] target = smoothedTargets(8, 3);
    try (TensorFlowEngine engine = TensorFlowEngine.create(TINY, PLAIN, Device.CPU)) {
      GradientCheck.againstFiniteDifferences(engine, batch, target);
    }
  }

  @Test
  void clippingLimitsTheGlobalNormOfAStepAndLeavesSmallGradientsAlone() {
    ImageBatch batch = images(6, 12, 3);
    float[] target = smoothedTargets(6, 3);
    float lr = 0.1f;
    double norm;
    try (TensorFlowEngine engine = TensorFlowEngine.create(TINY, PLAIN, Device.CPU)) {
      norm = norm(engine.gradients(batch, target));
    }
    double clip = norm / 4;
    try (TensorFlowEngine engine = TensorFlowEngine.create(TINY, PLAIN.withGradientClipNorm(clip), Device.CPU)) {
      float[][] before = engine.weights();
      engine.trainStep(batch, target, lr);
      assertThat(norm(difference(engine.weights(), before))).isCloseTo(lr * clip, within(1e-3 * lr * clip));
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(TINY, PLAIN.withGradientClipNorm(norm * 4), Device.CPU)) {
      float[][] before = engine.weights();
      engine.trainStep(batch, target, lr);
      assertThat(norm(difference(engine.weights(), before))).isCloseTo(lr * norm, within(1e-3 * lr * norm));
    }
  }

  private static float[][] difference(float[][] a, float[][] b) {
    float[][] d = new float[a.length][];
    for (int v = 0; v < a.length; v++) {
      d[v] = new float[a[v].length];
      for (int i = 0; i < a[v].length; i++) {
        d[v][i] = a[v][i] - b[v][i];
      }
    }
    return d;
  }

  private static double norm(float[][] values) {
    double sum = 0;
    for (float[] v : values) {
      for (float x : v) {
        sum += (double) x * x;
      }
    }
    return Math.sqrt(sum);
  }
}
