package io.cvpipe.engine;

import java.util.List;

/**
 * Which network to build: an architecture by name, a width multiplier (1.0 is the published layout; tests
 * use tiny ones), the class count, input channels, the stem (stride 2 + max-pool for ImageNet; stride 1
 * and no pool for 28x28 inputs), and the output stride: the most the network may downsample its input, 0 for
 * the architecture's own (32 with the ImageNet stem). Layers that would downsample past it run at stride 1,
 * without dilation, as the CIFAR-sized versions of these networks do: the last stages keep 2-4 times the
 * pixels, for as many times their compute.
 */
public record ModelSpec(String architecture, double width, int classes, int channels, int stemStride,
    boolean stemPool, int outputStride, long seed) {

  public static final List<String> ARCHITECTURES = List.of("resnet18", "resnet50", "resnet101", "mobilenetv1", "mobilenetv2",
      "cnn2", "mobilevit-xxs", "mobilevit-xs", "mobilevit-s", "mobilevitv2");

  public ModelSpec {
    if (!ARCHITECTURES.contains(architecture)) {
      throw new IllegalArgumentException("train.model: unknown value '" + architecture + "'. Expected one of: "
          + String.join(", ", ARCHITECTURES));
    }
    if (width <= 0 || classes < 2 || channels < 1 || stemStride < 1) {
      throw new IllegalArgumentException("width > 0, at least 2 classes, 1 channel and stride 1: " + this);
    }
    if (outputStride != 0 && architecture.equals("cnn2")) {
      throw new IllegalArgumentException("train.output-stride: cnn2 has a fixed layout (two 2x2 pools); leave it 0");
    }
    int stem = stemStride * (stemPool ? 2 : 1);
    if (outputStride != 0 && (Integer.bitCount(outputStride) != 1 || outputStride < stem)) {
      throw new IllegalArgumentException("train.output-stride: " + outputStride + " must be 0 (the architecture's own) "
          + "or a power of 2 no smaller than the stem's stride " + stem + " (stem-stride " + stemStride
          + (stemPool ? " and a max-pool" : "") + ")");
    }
  }

  /** The architecture's own downsampling (output stride 0). */
  public ModelSpec(String architecture, double width, int classes, int channels, int stemStride, boolean stemPool,
      long seed) {
    this(architecture, width, classes, channels, stemStride, stemPool, 0, seed);
  }

  /** The ImageNet layout: stride-2 stem with max-pool. */
  public static ModelSpec imagenet(String architecture, double width, int classes) {
    return new ModelSpec(architecture, width, classes, 3, 2, true, 0);
  }
}
