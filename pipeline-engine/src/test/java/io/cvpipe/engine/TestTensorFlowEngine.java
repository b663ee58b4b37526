package io.cvpipe.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestTensorFlowEngine {

  private static final ModelSpec TINY = new ModelSpec("resnet18", 0.0625, 3, 3, 1, false, 42);

  private static ImageBatch random(int n, int size, long seed) {
    return random(n, size, 3, seed);
  }

  /** {@code n} images of Gaussian noise, {@code size x size x channels}. */
  private static ImageBatch random(int n, int size, int channels, long seed) {
    Random r = new Random(seed);
    float[] px = new float[n * size * size * channels];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    return new ImageBatch(px, n, size, size, channels);
  }

  private static float[] oneHot(int[] labels, int classes) {
    float[] t = new float[labels.length * classes];
    for (int i = 0; i < labels.length; i++) {
      t[i * classes + labels[i]] = 1f;
    }
    return t;
  }

  @Test
  void forwardFlopsAreTheConvolutionsAndProductsCountedByHand() {
    // cnn2 at 28x28x1: 5x5 conv 1->32 at 28x28, 5x5 conv 32->64 at 14x14, 3136->1024, 1024->10, in multiply-adds
    long cnn2 = 28 * 28 * 32 * 25 + 14 * 14 * 64 * 25 * 32 + 3136 * 1024 + 1024 * 10;
    // ResNet-18 at 224x224x3, 1000 classes: the stem, four stages (their first 3x3 and 1x1 shortcut at stride 2)
    long resnet18 = 112 * 112 * 64 * 7 * 7 * 3 + 4 * 56 * 56 * 64 * 9 * 64
        + stage(28, 128) + stage(14, 256) + stage(7, 512) + 512 * 1000;

    assertThat(Engines.forwardFlops(new ModelSpec("cnn2", 1, 10, 1, 1, false, 1), 28, 28)).isEqualTo(2 * cnn2);
    assertThat(resnet18).isEqualTo(1_814_073_344L); // torchvision's figure (1.81 GMACs)
    assertThat(Engines.forwardFlops(ModelSpec.imagenet("resnet18", 1, 1000), 224, 224)).isEqualTo(2 * resnet18);
  }

  /** A ResNet-18 stage at {@code size x size} of {@code c} channels, entered from {@code c / 2}. */
  private static long stage(long size, long c) {
    long pixels = size * size * c;
    return pixels * 9 * (c / 2) + 3 * pixels * 9 * c + pixels * (c / 2);
  }

  @Test
  void lossAtInitIsNearLogOfTheClassCountAndPredictGivesLogitsPerImage() {
    try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      ImageBatch batch = random(8, 16, 1);

      float loss = engine.loss(batch, oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1}, 3));
      float[] logits = engine.predict(batch);

      assertThat(loss).isBetween(0.5f, 3f);
      assertThat(logits).hasSize(8 * 3);
      assertThat(engine.parameterCount()).isGreaterThan(1000);
    }
  }

  @Test
  void aStepAlongTheGradientLowersTheLossAsTheGradientPredicts() {
    // Through the optimiser (TestGradients checks the gradients themselves): with momentum 0 and no decay, one step of size lr changes the
    // loss by about -lr * |g|^2; halving lr must roughly halve the drop (first-order behaviour).
    ImageBatch batch = random(6, 12, 2);
    float[] target = oneHot(new int[] {0, 1, 2, 2, 1, 0}, 3);
    OptimizerSpec plain = new OptimizerSpec(0, false, 0, 0.1);
    float drop1;
    float drop2;
    try (Engine engine = Engines.tensorflow(TINY, plain, Device.CPU)) {
      float before = engine.loss(batch, target);
      engine.trainStep(batch, target, 2e-3f);
      drop1 = before - engine.loss(batch, target);
    }
    try (Engine engine = Engines.tensorflow(TINY, plain, Device.CPU)) {
      float before = engine.loss(batch, target);
      engine.trainStep(batch, target, 1e-3f);
      drop2 = before - engine.loss(batch, target);
    }

    assertThat(drop1).isPositive();
    assertThat(drop2).isPositive();
    assertThat(drop1 / drop2).isBetween(1.6f, 2.4f);
  }

  @Test
  void adamwLowersTheLossAndIsDeterministic() {
    ImageBatch batch = random(8, 16, 9);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1}, 3);
    float[][] losses = new float[2][6];
    for (int run = 0; run < 2; run++) {
      try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.adamw(0.05), Device.CPU)) {
        for (int step = 0; step < 6; step++) {
          losses[run][step] = engine.trainStep(batch, target, 1e-3f);
        }
      }
    }

    assertThat(losses[0][5]).isLessThan(losses[0][0]);
    assertThat(losses[1]).containsExactly(losses[0]);
  }

  @Test
  void sameSeedSameWeights() {
    ImageBatch batch = random(4, 16, 3);
    try (Engine a = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU);
        Engine b = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      assertThat(a.predict(batch)).containsExactly(b.predict(batch));
    }
  }

  @Test
  void trainingStepsAreDeterministic() {
    ImageBatch batch = random(16, 24, 5);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, 3);
    float[][] losses = new float[2][4];
    for (int run = 0; run < 2; run++) {
      try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
        for (int step = 0; step < 4; step++) {
          losses[run][step] = engine.trainStep(batch, target, 0.05f);
        }
      }
    }

    assertThat(losses[1]).containsExactly(losses[0]);
  }

  @Test
  void checkpointRestoresWeightsAndStatistics(@TempDir Path tmp) {
    ImageBatch batch = random(8, 16, 4);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1}, 3);
    float[] expected;
    try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      for (int i = 0; i < 3; i++) {
        engine.trainStep(batch, target, 0.05f);
      }
      engine.saveCheckpoint(tmp.resolve("ckpt"));
      expected = engine.predict(batch);
    }
    try (Engine fresh = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      assertThat(fresh.predict(batch)).isNotEqualTo(expected);

      fresh.restoreCheckpoint(tmp.resolve("ckpt"));

      assertThat(fresh.predict(batch)).containsExactly(expected);
      assertThatThrownBy(() -> fresh.restoreCheckpoint(tmp.resolve("nothing")))
          .hasMessageContaining("no checkpoint in").hasMessageContaining("variables.index");
    }
  }

  @Test
  void exportedSavedModelPredictsWhatTheEngineDoes(@TempDir Path tmp) {
    ImageBatch batch = random(5, 20, 6);
    float[] expected;
    try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      engine.trainStep(batch, oneHot(new int[] {0, 1, 2, 0, 1}, 3), 0.05f);
      expected = engine.predict(batch);
      engine.exportSavedModel(tmp.resolve("model"));
      assertThatThrownBy(() -> engine.exportSavedModel(tmp.resolve("model"))).hasMessageContaining("already exists");
    }

    try (Predictor predictor = Engines.savedModel(tmp.resolve("model"))) {
      float[] logits = predictor.predict(batch);

      assertThat(predictor.classes()).isEqualTo(3);
      assertThat(logits).containsExactly(expected, org.assertj.core.data.Offset.offset(1e-5f));
    }
    assertThatThrownBy(() -> Engines.savedModel(tmp.resolve("nothing"))).hasMessageContaining("saved_model.pb is missing");
  }

  @Test
  void emaStartsAtTheInitialWeightsAndMovesByItsMomentum(@TempDir Path tmp) {
    ImageBatch batch = random(8, 16, 12);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1}, 3);
    float[] initial;
    try (Engine plain = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      assertThat(plain.hasEma()).isFalse();
      assertThatThrownBy(() -> plain.predictEma(batch)).hasMessageContaining("EMA momentum is 0");
      initial = plain.predict(batch);
    }
    float[] averaged;
    try (Engine slow = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4).withEmaMomentum(1e-6), Device.CPU);
        Engine fast = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4).withEmaMomentum(0.999999), Device.CPU);
        Engine half = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4).withEmaMomentum(0.5), Device.CPU)) {
      assertThat(half.predictEma(batch)).containsExactly(initial);
      for (int i = 0; i < 4; i++) {
        for (Engine e : new Engine[] {slow, fast, half}) {
          e.trainStep(batch, target, 0.05f);
        }
      }
      float[] trained = half.predict(batch);
      assertThat(trained).isNotEqualTo(initial);
      // a tiny momentum stays at the start, a momentum near 1 follows the weights, 0.5 lies in between
      assertThat(slow.predictEma(batch)).containsExactly(initial, org.assertj.core.data.Offset.offset(1e-3f));
      assertThat(fast.predictEma(batch)).containsExactly(fast.predict(batch), org.assertj.core.data.Offset.offset(1e-3f));
      averaged = half.predictEma(batch);
      assertThat(distance(averaged, trained)).isGreaterThan(1e-4);
      assertThat(distance(averaged, initial)).isGreaterThan(1e-4);

      half.saveCheckpoint(tmp.resolve("ckpt"));
      half.exportSavedModel(tmp.resolve("ema"), true);
    }
    try (Engine restored = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4).withEmaMomentum(0.5), Device.CPU)) {
      restored.restoreCheckpoint(tmp.resolve("ckpt"));
      assertThat(restored.predictEma(batch)).containsExactly(averaged);
    }
    try (Predictor exported = Engines.savedModel(tmp.resolve("ema"))) {
      assertThat(exported.predict(batch)).containsExactly(averaged, org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  private static double distance(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (a[i] - b[i]) * (double) (a[i] - b[i]);
    }
    return Math.sqrt(sum);
  }

  @Test
  void publishedLayoutsHaveThePublishedParameterCounts() {
    // torchvision's counts at 1000 classes: ResNet-18 11,689,512; ResNet-50 25,557,032;
    // MobileNetV2 3,504,872; MobileNetV1 (Howard et al.) 4.2 M
    assertThat(parameters(ModelSpec.imagenet("resnet18", 1.0, 1000))).isEqualTo(11_689_512);
    assertThat(parameters(ModelSpec.imagenet("resnet50", 1.0, 1000))).isEqualTo(25_557_032);
    assertThat(parameters(ModelSpec.imagenet("mobilenetv2", 1.0, 1000))).isEqualTo(3_504_872);
    assertThat(parameters(ModelSpec.imagenet("mobilenetv1", 1.0, 1000))).isBetween(4_200_000L, 4_250_000L);
  }

  @Test
  void mobileNetsTrainAndPredict() {
    ImageBatch batch = random(8, 64, 7);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1}, 3);
    for (String arch : new String[] {"mobilenetv1", "mobilenetv2"}) {
      try (Engine engine = Engines.tensorflow(new ModelSpec(arch, 0.25, 3, 3, 2, false, 1), OptimizerSpec.sgd(4e-5), Device.CPU)) {
        float before = engine.loss(batch, target);
        for (int i = 0; i < 5; i++) {
          engine.trainStep(batch, target, 0.01f);
        }
        assertThat(engine.loss(batch, target)).as(arch).isLessThan(before);
        assertThat(engine.predict(batch)).hasSize(24);
      }
    }
  }

  @Test
  void theSmallCnnTakesEverySamplerSizeAndLearns() {
    ModelSpec spec = new ModelSpec("cnn2", 0.25, 3, 1, 1, false, 5);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2}, 3);
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      // 8x8 conv1 (1x5x5x8 = 200), 16 conv2 (5x5x8x16 = 3,200), BN (2 x (8 + 16)), fc1 784x256 + 256, fc2 256x3 + 3
      assertThat(engine.parameterCount()).isEqualTo(200 + 3_200 + 48 + 784 * 256 + 256 + 256 * 3 + 3);
      for (int size : new int[] {24, 28, 32}) {
        assertThat(engine.predict(random(6, size, 1, size))).hasSize(18);
      }
      ImageBatch batch = random(6, 28, 1, 28);
      float before = engine.loss(batch, target);
      for (int i = 0; i < 5; i++) {
        engine.trainStep(batch, target, 0.05f);
      }
      assertThat(engine.loss(batch, target)).isLessThan(before);
    }
  }

  private static long parameters(ModelSpec spec) {
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      return engine.parameterCount();
    }
  }

  @Test
  void bfloat16TrainsTheSameNetworkWithinItsRoundingAndSavesFloat32Weights(@TempDir Path tmp) throws Exception {
    ModelSpec spec = new ModelSpec("resnet18", 0.25, 3, 1, 1, false, 5);
    ImageBatch batch = random(16, 16, 1, 21);
    float[] target = oneHot(new int[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, 3);
    float[] exact;
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      exact = engine.predict(batch);
    }

    float[] mixed;
    float[] trained;
    float first;
    float last = 0;
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU, Precision.BFLOAT16)) {
      mixed = engine.predict(batch);
      first = engine.loss(batch, target);
      for (int i = 0; i < 30; i++) {
        last = engine.trainStep(batch, target, 0.05f);
      }
      trained = engine.predict(batch);
      engine.saveCheckpoint(tmp.resolve("ckpt"));
    }

    // same seeded weights, so the same logits up to bfloat16's 8-bit mantissa through 17 layers
    double scale = 0;
    double worst = 0;
    for (int i = 0; i < exact.length; i++) {
      scale = Math.max(scale, Math.abs(exact[i]));
      worst = Math.max(worst, Math.abs(exact[i] - mixed[i]));
    }
    assertThat(worst).isLessThan(0.1 * scale);
    if (bfloat16Hardware()) { // where oneDNN has bfloat16 kernels the rewrite really runs: the logits move
      assertThat(worst).isGreaterThan(1e-6 * scale);
    }
    assertThat(last).isLessThan(0.5f * first);
    try (Engine restored = Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.CPU)) {
      restored.restoreCheckpoint(tmp.resolve("ckpt"));
      float[] again = restored.predict(batch);
      for (int image = 0; image < batch.count(); image++) {
        assertThat(argmax(again, image * 3)).isEqualTo(argmax(trained, image * 3));
      }
    }
    assertThatThrownBy(() -> Engines.tensorflow(spec, OptimizerSpec.sgd(1e-4), Device.GPU, Precision.BFLOAT16))
        .hasMessageContaining("bfloat16 is oneDNN's CPU rewrite and does not run on train.device = gpu");
  }

  private static boolean bfloat16Hardware() throws java.io.IOException {
    String flags = java.nio.file.Files.readString(Path.of("/proc/cpuinfo"));
    return flags.contains(" avx512_bf16") || flags.contains(" amx_bf16");
  }

  private static int argmax(float[] logits, int offset) {
    int best = 0;
    for (int c = 1; c < 3; c++) {
      if (logits[offset + c] > logits[offset + best]) {
        best = c;
      }
    }
    return best;
  }

  @Test
  void unknownModelNamesTheAllowedOnes() {
    assertThatThrownBy(() -> new ModelSpec("resnet19", 1, 10, 3, 2, true, 0))
        .hasMessageContaining("train.model: unknown value 'resnet19'. Expected one of: resnet18, resnet50, resnet101, mobilenetv1, mobilenetv2");
  }
}
