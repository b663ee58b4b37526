package io.cvpipe.engine.tensorflow;

import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A 2-D convolution through TensorFlow's generic {@code Conv} op (NHWC, SAME padding), the same arithmetic as
 * {@code Conv2D}. oneDNN's graph rewrite does not know this op, so its forward pass runs Eigen's kernel, while its
 * gradient, {@code Conv2DBackpropInput} and {@code Conv2DBackpropFilter} (registered here: TensorFlow's C++
 * gradient registry has none for {@code Conv}), is rewritten to oneDNN's. That pairing is the faster one on CPUs:
 * oneDNN's forward convolution takes 1.9-2.5x Eigen's at the small maps of ResNets on 28x28 images, while its
 * gradients are 1.3-2.7x faster than Eigen's at every size measured (README, "Benchmark").
 */
final class GenericConv {

  private GenericConv() {}

  static Operand<TFloat32> conv(Ops tf, Operand<TFloat32> x, Operand<TFloat32> filter, List<Long> strides) {
    registerGradient();
    return tf.scope().opBuilder("Conv", "Conv")
        .addInput(x.asOutput())
        .addInput(filter.asOutput())
        .setAttr("strides", strides.stream().mapToLong(Long::longValue).toArray())
        .setAttr("padding", "SAME")
        .build()
        .output(0);
  }

  @SuppressWarnings("unchecked")
  private static void registerGradient() {
    CustomGradients.registerOnce("Conv", (tf, op, upstream) -> {
      List<Long> strides = Arrays.stream(op.attributes().getAttrIntList("strides")).boxed().toList();
      Operand<TFloat32> x = (Operand<TFloat32>) op.input(0);
      Operand<TFloat32> filter = (Operand<TFloat32>) op.input(1);
      Operand<TFloat32> g = (Operand<TFloat32>) upstream.get(0);
      return List.of(tf.nn.conv2dBackpropInput(tf.shape(x), filter, g, strides, "SAME"),
          tf.nn.conv2dBackpropFilter(x, tf.shape(filter), g, strides, "SAME"));
    });
  }
}
