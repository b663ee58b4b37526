package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * ResNet v1.5 (He et al. 2016; torchvision's layout: stride on the 3x3 of a bottleneck): basic blocks for
 * 18 layers ([2, 2, 2, 2]), bottlenecks for 50 ([3, 4, 6, 3]) and 101 ([3, 4, 23, 3]); stage widths
 * 64-128-256-512 times the width multiplier.
 */
final class ResNet {

  private ResNet() {}

  static Operand<TFloat32> logits(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    long channels = scaled(512, spec.width()) * (spec.architecture().equals("resnet18") ? 1 : 4);
    return l.dense("fc", l.globalAveragePool(features(l, spec, images)), channels, spec.classes());
  }

  /** The network up to its last stage: the feature map the classifier pools. */
  static Operand<TFloat32> features(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    boolean bottleneck = !spec.architecture().equals("resnet18");
    int[] blocks = switch (spec.architecture()) {
      case "resnet18" -> new int[] {2, 2, 2, 2};
      case "resnet50" -> new int[] {3, 4, 6, 3};
      case "resnet101" -> new int[] {3, 4, 23, 3};
      default -> throw new IllegalArgumentException(spec.architecture());
    };
    int expansion = bottleneck ? 4 : 1;
    long stem = scaled(64, spec.width());
    int stemKernel = spec.stemStride() == 1 ? 3 : 7;
    Downsampling down = new Downsampling(spec);
    Operand<TFloat32> x = l.conv("stem", images, stemKernel, spec.channels(), stem, down.stride(spec.stemStride()));
    x = l.relu(l.batchNorm("stem_bn", x, stem));
    if (spec.stemPool()) {
      x = l.maxPool(x, 3, down.stride(2));
    }
    long in = stem;
    for (int stage = 0; stage < 4; stage++) {
      long planes = scaled(64L << stage, spec.width());
      for (int b = 0; b < blocks[stage]; b++) {
        int stride = down.stride(stage > 0 && b == 0 ? 2 : 1);
        String name = "s" + (stage + 1) + "b" + (b + 1);
        x = bottleneck ? bottleneck(l, name, x, in, planes, stride) : basic(l, name, x, in, planes, stride);
        in = planes * expansion;
      }
    }
    return x;
  }

  private static Operand<TFloat32> basic(Layers l, String name, Operand<TFloat32> x, long in, long planes, int stride) {
    Operand<TFloat32> y = l.relu(l.batchNorm(name + "_bn1", l.conv(name + "_conv1", x, 3, in, planes, stride), planes));
    y = l.batchNorm(name + "_bn2", l.conv(name + "_conv2", y, 3, planes, planes, 1), planes);
    return l.relu(l.tfAdd(y, shortcut(l, name, x, in, planes, stride)));
  }

  private static Operand<TFloat32> bottleneck(Layers l, String name, Operand<TFloat32> x, long in, long planes, int stride) {
    long out = planes * 4;
    Operand<TFloat32> y = l.relu(l.batchNorm(name + "_bn1", l.conv(name + "_conv1", x, 1, in, planes, 1), planes));
    y = l.relu(l.batchNorm(name + "_bn2", l.conv(name + "_conv2", y, 3, planes, planes, stride), planes));
    y = l.batchNorm(name + "_bn3", l.conv(name + "_conv3", y, 1, planes, out, 1), out);
    return l.relu(l.tfAdd(y, shortcut(l, name, x, in, out, stride)));
  }

  private static Operand<TFloat32> shortcut(Layers l, String name, Operand<TFloat32> x, long in, long out, int stride) {
    if (in == out && stride == 1) {
      return x;
    }
    return l.batchNorm(name + "_down_bn", l.conv(name + "_down", x, 1, in, out, stride), out);
  }

  /** Channels at a width multiplier, at least 4 (tests use widths like 0.125). */
  static long scaled(long channels, double width) {
    return Math.max(4, Math.round(channels * width));
  }
}
