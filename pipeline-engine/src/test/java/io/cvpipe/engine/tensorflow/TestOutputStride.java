package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.engine.ModelSpec;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** train.output-stride: the size of the feature map the classifier pools, read from the graph's static shapes. */
class TestOutputStride {

  private interface Body {
    Operand<TFloat32> features(Layers l, ModelSpec spec, Operand<TFloat32> images);
  }

  private static long[] featureMap(Body body, ModelSpec spec, int size) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(2, size, size, spec.channels())));
      Shape shape = body.features(new Layers(tf, 1, 0.1f), spec, images).shape();
      return new long[] {shape.get(1), shape.get(2)};
    }
  }

  @Test
  void mobileNetV2KeepsItsLastStagesAtTheOutputStride() {
    // stem stride 1, 28x28: the published strides downsample 16 times (2x2), output stride 8 stops at 4x4
    assertThat(featureMap(MobileNet::v2Features, new ModelSpec("mobilenetv2", 0.25, 10, 1, 1, false, 0, 1), 28))
        .containsExactly(2, 2);
    assertThat(featureMap(MobileNet::v2Features, new ModelSpec("mobilenetv2", 0.25, 10, 1, 1, false, 8, 1), 28))
        .containsExactly(4, 4);
    assertThat(featureMap(MobileNet::v2Features, ModelSpec.imagenet("mobilenetv2", 0.25, 10), 224)).containsExactly(7, 7);
  }

  @Test
  void resNetStopsDownsamplingAtTheOutputStride() {
    assertThat(featureMap(ResNet::features, ModelSpec.imagenet("resnet18", 0.125, 10), 64)).containsExactly(2, 2);
    assertThat(featureMap(ResNet::features, new ModelSpec("resnet18", 0.125, 10, 3, 2, true, 16, 1), 64))
        .containsExactly(4, 4);
    assertThat(featureMap(ResNet::features, new ModelSpec("resnet18", 0.125, 10, 3, 1, false, 4, 1), 32))
        .containsExactly(8, 8);
  }

  @Test
  void anOutputStrideTheStemAlreadyPassesIsRefused() {
    assertThatThrownBy(() -> new ModelSpec("resnet18", 1, 10, 3, 2, true, 2, 0))
        .hasMessageContaining("train.output-stride")
        .hasMessageContaining("no smaller than the stem's stride 4");
    assertThatThrownBy(() -> new ModelSpec("mobilenetv2", 1, 10, 3, 1, false, 12, 0))
        .hasMessageContaining("power of 2");
    assertThatThrownBy(() -> new ModelSpec("cnn2", 1, 10, 1, 1, false, 8, 0)).hasMessageContaining("cnn2");
  }
}
