package io.cvpipe.engine;

import java.util.List;

/**
 * Which network to build: an architecture by name, a width multiplier (1.0 is the published layout; tests
 * use tiny ones), the class count, input channels, and the stem (stride 2 + max-pool for ImageNet; stride 1
 * and no pool for 28x28 inputs).
 */
public record ModelSpec(String architecture, double width, int classes, int channels, int stemStride,
    boolean stemPool, long seed) {

  public static final List<String> ARCHITECTURES = List.of("resnet18", "resnet50", "resnet101", "mobilenetv1", "mobilenetv2",
      "cnn2");

  public ModelSpec {
    if (!ARCHITECTURES.contains(architecture)) {
      throw new IllegalArgumentException("train.model: unknown value '" + architecture + "'. Expected one of: "
          + String.join(", ", ARCHITECTURES));
    }
    if (width <= 0 || classes < 2 || channels < 1 || stemStride < 1) {
      throw new IllegalArgumentException("width > 0, at least 2 classes, 1 channel and stride 1: " + this);
    }
  }

  /** The ImageNet layout: stride-2 stem with max-pool. */
  public static ModelSpec imagenet(String architecture, double width, int classes) {
    return new ModelSpec(architecture, width, classes, 3, 2, true, 0);
  }
}
