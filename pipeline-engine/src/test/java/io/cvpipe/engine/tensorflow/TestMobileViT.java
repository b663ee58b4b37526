package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MobileViT and MobileViTv2 against CVNets' parameter counts, at odd input sizes, through its gradients, export and training. */
class TestMobileViT {

  private static final OptimizerSpec PLAIN = new OptimizerSpec(0, false, 0, 0.1);

  private static long parameters(String architecture) {
    return parameters(architecture, 1.0);
  }

  private static long parameters(String architecture, double width) {
    try (TensorFlowEngine engine = TensorFlowEngine.create(new ModelSpec(architecture, width, 1000, 3, 2, false, 0),
        PLAIN, Device.CPU)) {
      return engine.parameterCount();
    }
  }

  private static ImageBatch images(int n, int size, int channels, long seed) {
    return GradientCheck.images(n, size, channels, seed);
  }

  @Test
  void attentionCountsInTheFlopsAndGrowsWithTheTokens() {
    ModelSpec spec = new ModelSpec("mobilevit-xxs", 1.0, 1000, 3, 2, false, 0);
    long at256 = FlopCount.forward(spec, 256, 256);
    long at512 = FlopCount.forward(spec, 512, 512);
    // convolutions and projections grow with the pixels (4x); attention's products with the tokens squared (16x)
    assertThat(at512).isGreaterThan(4 * at256);
    System.out.printf("mobilevit-xxs forward GFLOPs at 256: %.3f, at 512: %.3f%n", at256 / 1e9, at512 / 1e9);
  }

  @Test
  void variantsHaveCvnetsParameterCounts() {
    // CVNets' configs at 1,000 classes (the model zoo rounds them to 1.3 M, 2.3 M and 5.6 M)
    assertThat(parameters("mobilevit-xxs")).isEqualTo(1_272_024);
    assertThat(parameters("mobilevit-xs")).isEqualTo(2_317_848);
    assertThat(parameters("mobilevit-s")).isEqualTo(5_578_632);
  }

  @Test
  void mobileViTv2HasCvnetsParameterCountsAtEachWidth() {
    // CVNets' config/mobilevit_v2.py at 1,000 classes, recomputed layer by layer from its make_divisible widths
    assertThat(parameters("mobilevitv2", 0.5)).isEqualTo(1_370_593);
    assertThat(parameters("mobilevitv2", 1.0)).isEqualTo(4_901_841);
    assertThat(parameters("mobilevitv2", 2.0)).isEqualTo(18_449_329);
  }

  @Test
  void separableAttentionCostsLessThanMultiHeadAttentionAsTheTokensGrow() {
    ModelSpec v1 = new ModelSpec("mobilevit-xxs", 1.0, 1000, 3, 2, false, 0);
    ModelSpec v2 = new ModelSpec("mobilevitv2", 0.5, 1000, 3, 2, false, 0);
    // MobileViTv2's attention is linear in the patches: 4x the pixels cost it about 4x, never the 16x of N x N
    long at256 = FlopCount.forward(v2, 256, 256);
    long at512 = FlopCount.forward(v2, 512, 512);
    assertThat((double) at512 / at256).isBetween(3.9, 4.1);
    assertThat((double) at512 / at256).isLessThan((double) FlopCount.forward(v1, 512, 512) / FlopCount.forward(v1, 256, 256));
    System.out.printf("mobilevitv2 x0.5 forward GFLOPs at 256: %.3f, at 512: %.3f%n", at256 / 1e9, at512 / 1e9);
  }

  @ParameterizedTest
  @ValueSource(strings = {"mobilevit-xxs", "mobilevitv2"})
  void takesSidesThatAreNotMultiplesOfThePatchAndExportsWhatItComputes(String architecture, @TempDir Path dir) {
    ModelSpec spec = new ModelSpec(architecture, 0.25, 5, 3, 2, false, 3);
    try (Engine engine = Engines.tensorflow(spec, PLAIN, Device.CPU)) {
      // 72: the transformer stages see 9x9, 5x5 and 3x3 maps, resized to 10, 6 and 4 and back; 64 divides evenly
      for (int size : new int[] {64, 72, 40}) {
        ImageBatch batch = images(2, size, 3, size);
        float[] logits = engine.predict(batch);
        assertThat(logits).as("%dx%d", size, size).hasSize(10);
        for (float v : logits) {
          assertThat(Float.isFinite(v)).isTrue();
        }
      }
      ImageBatch batch = images(3, 72, 3, 1);
      GradientCheck.exportPredictsAsTheEngine(engine, batch, dir.resolve("model"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mobilevit-xxs", "mobilevitv2"})
  void aTinyOneLearnsWhereTheBrightHalfIsAboveChance(String architecture) {
    // three classes of 24x24 grey noise with a brighter left, top or right half
    ModelSpec spec = new ModelSpec(architecture, 0.25, 3, 1, 1, false, 5);
    Random rnd = new Random(4);
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      for (int step = 0; step < 60; step++) {
        int[] labels = new int[16];
        ImageBatch batch = GradientCheck.brightHalves(labels, rnd);
        engine.trainStep(batch, GradientCheck.oneHot(labels), 0.05f);
      }
      int[] labels = new int[60];
      float[] logits = engine.predict(GradientCheck.brightHalves(labels, new Random(99)));
      int right = 0;
      for (int i = 0; i < 60; i++) {
        int best = 0;
        for (int c = 1; c < 3; c++) {
          best = logits[i * 3 + c] > logits[i * 3 + best] ? c : best;
        }
        right += best == labels[i] ? 1 : 0;
      }
      assertThat(right / 60.0).as("top-1 on new images (chance 0.33)").isGreaterThan(0.6);
    }
  }
}
