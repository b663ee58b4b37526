package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.engine.OptimizerSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The transformers' gradients (MobileViT, MobileViTv2, DeiT with Token Pooling: attention's batched products with
 * their registered gradient, softmax, layer and group norms, unfold and fold, swish, the clustering) against central
 * finite differences of the loss. Surefire runs this class twice (pipeline-engine/pom.xml): with oneDNN, TensorFlow's
 * default on x86, and with its Eigen kernels ({@code TF_ENABLE_ONEDNN_OPTS=0}). Under oneDNN, TensorFlow 2.18's
 * Conv2DBackpropInput gets MobileViT's input gradients wrong; the check passes there only because the engine's
 * float32 convolutions take their stride-1 input gradients as forward convolutions on Eigen's kernel
 * ({@link GenericConv}): with oneDNN's own, the MobileViT check fails.
 */
class TestTransformerGradients {

  private static final OptimizerSpec PLAIN = new OptimizerSpec(0, false, 0, 0.1);

  @BeforeAll
  static void runsOnTheKernelsItsExecutionSays() {
    String expected = System.getProperty("cvpipe.test.onednn");
    assertThat(expected).as("run by Surefire's default or eigen-gradients execution (pipeline-engine/pom.xml)")
        .isNotNull();
    assertThat(OneDnn.enabled()).as("oneDNN in this execution").isEqualTo(Boolean.parseBoolean(expected));
  }

  @Test
  void gradientsMatchCentralFiniteDifferences() {
    // 32x32 at stem stride 1: the transformer stages see 8x8, 4x4 and 2x2 maps (batch norm over 8 x 2 x 2 values)
    ModelSpec spec = new ModelSpec("mobilevit-xxs", 0.25, 3, 3, 1, false, 7);
    ImageBatch batch = GradientCheck.images(8, 32, 3, 11);
    float[] target = new float[8 * 3];
    for (int i = 0; i < 8; i++) {
      for (int c = 0; c < 3; c++) {
        target[i * 3 + c] = c == i % 3 ? 0.8f : 0.1f;
      }
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, PLAIN, Device.CPU)) {
      // every kind of parameter: convolutions, batch and layer norms, attention and FFN projections
      GradientCheck.againstFiniteDifferences(engine, batch, target);
    }
  }

  @Test
  void mobileViTv2GradientsMatchCentralFiniteDifferences() {
    // 28x28 at stem stride 1: stage 3 sees a 7x7 map, resized to 8x8 (corners aligned) before its block; then 4x4
    // and 2x2. Separable attention (softmax over the patches, context vector), GroupNorm(1), depthwise 3x3.
    ModelSpec spec = new ModelSpec("mobilevitv2", 0.25, 3, 3, 1, false, 7);
    ImageBatch batch = GradientCheck.images(8, 28, 3, 12);
    float[] target = new float[8 * 3];
    for (int i = 0; i < 8; i++) {
      for (int c = 0; c < 3; c++) {
        target[i * 3 + c] = c == (i + 1) % 3 ? 0.8f : 0.1f;
      }
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, PLAIN, Device.CPU)) {
      GradientCheck.againstFiniteDifferences(engine, batch, target);
    }
  }

  @Test
  void deitWithTokenPoolingGradientsMatchCentralFiniteDifferences() {
    // 16x16 images in 4x4 patches: 16 tokens, pooled to 11 after block 1 and to 8 after block 2 of 3 (the clustering
    // is a discrete choice: the check moves each weight by 5e-4, too little to change it on these images)
    ModelSpec spec = new ModelSpec("deit-tiny", 0.125, 3, 1, 1, false, 0,
        new ModelSpec.Transformer(4, 3, new ModelSpec.TokenPooling(java.util.List.of(1, 2), 0.7)), 7);
    ImageBatch batch = GradientCheck.images(6, 16, 1, 13);
    float[] target = new float[6 * 3];
    for (int i = 0; i < 6; i++) {
      for (int c = 0; c < 3; c++) {
        target[i * 3 + c] = c == i % 3 ? 0.8f : 0.1f;
      }
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, PLAIN, Device.CPU)) {
      GradientCheck.againstFiniteDifferences(engine, batch, target);
    }
  }
}
