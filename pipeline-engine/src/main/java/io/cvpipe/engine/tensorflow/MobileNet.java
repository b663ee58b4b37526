package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * MobileNetV1 (Howard et al. 2017: depthwise-separable convolutions, ReLU) and MobileNetV2 (Sandler et al.
 * 2018: inverted residuals with linear bottlenecks, ReLU6), with the width multiplier applied as the papers
 * and torchvision do (V2 rounds channels to multiples of 8 and keeps the 1280-wide last layer for widths
 * up to 1).
 */
final class MobileNet {

  private MobileNet() {}

  /** V1 body: (output channels, stride) of each depthwise-separable block after the 32-channel stem. */
  private static final int[][] V1 = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1},
      {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};

  /** V2 body: expansion t, channels c, repeats n, first stride s (Table 2 of the paper). */
  private static final int[][] V2 = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1},
      {6, 160, 3, 2}, {6, 320, 1, 1}};

  static Operand<TFloat32> v1(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    Downsampling down = new Downsampling(spec);
    long in = Math.max(8, Math.round(32 * spec.width()));
    Operand<TFloat32> x = l.relu(l.batchNorm("stem_bn",
        l.conv("stem", images, 3, spec.channels(), in, down.stride(spec.stemStride())), in));
    for (int i = 0; i < V1.length; i++) {
      long out = Math.max(8, Math.round(V1[i][0] * spec.width()));
      String name = "b" + (i + 1);
      x = l.relu(l.batchNorm(name + "_dw_bn", l.depthwise(name + "_dw", x, 3, in, down.stride(V1[i][1])), in));
      x = l.relu(l.batchNorm(name + "_pw_bn", l.conv(name + "_pw", x, 1, in, out, 1), out));
      in = out;
    }
    return l.dense("fc", l.globalAveragePool(x), in, spec.classes());
  }

  static Operand<TFloat32> v2(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    return l.dense("fc", l.globalAveragePool(v2Features(l, spec, images)), lastWidth(spec), spec.classes());
  }

  /** V2 up to its last 1x1 convolution: the feature map the classifier pools. */
  static Operand<TFloat32> v2Features(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    Downsampling down = new Downsampling(spec);
    long in = divisible(32 * spec.width());
    Operand<TFloat32> x = l.relu6(l.batchNorm("stem_bn",
        l.conv("stem", images, 3, spec.channels(), in, down.stride(spec.stemStride())), in));
    int block = 0;
    for (int[] stage : V2) {
      long out = divisible(stage[1] * spec.width());
      for (int r = 0; r < stage[2]; r++) {
        String name = "b" + (++block);
        int stride = down.stride(r == 0 ? stage[3] : 1);
        x = invertedResidual(l, name, x, in, in * stage[0], out, stride, l::relu6);
        in = out;
      }
    }
    long last = lastWidth(spec);
    return l.relu6(l.batchNorm("last_bn", l.conv("last", x, 1, in, last, 1), last));
  }

  /**
   * An inverted residual with a linear bottleneck: 1x1 expansion to {@code hidden} channels (none when hidden is
   * the input width, an expansion of 1), 3x3 depthwise at {@code stride}, linear 1x1 projection, and the input added
   * back when the shape allows. MobileNetV2 activates with ReLU6, MobileViT with swish.
   */
  static Operand<TFloat32> invertedResidual(Layers l, String name, Operand<TFloat32> x, long in, long hidden, long out,
      int stride, UnaryOperator<Operand<TFloat32>> activation) {
    Operand<TFloat32> y = x;
    if (hidden != in) {
      y = activation.apply(l.batchNorm(name + "_expand_bn", l.conv(name + "_expand", y, 1, in, hidden, 1), hidden));
    }
    y = activation.apply(l.batchNorm(name + "_dw_bn", l.depthwise(name + "_dw", y, 3, hidden, stride), hidden));
    y = l.batchNorm(name + "_project_bn", l.conv(name + "_project", y, 1, hidden, out, 1), out); // linear
    return stride == 1 && in == out ? l.tfAdd(x, y) : y;
  }

  private static long lastWidth(ModelSpec spec) {
    return divisible(1280 * Math.max(1.0, spec.width()));
  }

  /** torchvision's _make_divisible(v, 8): nearest multiple of 8, at least 8, never 10% below v. */
  static long divisible(double v) {
    return divisible(v, 8, 8);
  }

  /** CVNets' make_divisible: the nearest multiple of {@code divisor}, at least {@code min}, not 10% below v. */
  static long divisible(double v, int divisor, int min) {
    long rounded = Math.max(min, (long) (v + divisor / 2.0) / divisor * divisor);
    return rounded < 0.9 * v ? rounded + divisor : rounded;
  }
}
