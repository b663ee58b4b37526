package io.cvpipe.engine.tensorflow;

import java.util.Arrays;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A 2-D convolution through TensorFlow's generic {@code Conv} op (NHWC, SAME padding), the same arithmetic as
 * {@code Conv2D}. oneDNN's graph rewrite does not know this op, so its forward pass runs Eigen's kernel, while its
 * gradient (registered here: TensorFlow's C++ gradient registry has none for {@code Conv}) takes oneDNN's
 * {@code Conv2DBackpropFilter}, and {@code Conv2DBackpropInput} where the input gradient is not a forward
 * convolution of its own ({@link #mirrorable}). That mix is the faster one on CPUs: oneDNN's forward convolution
 * takes 1.9-2.5x Eigen's at the small maps of ResNets on 28x28 images, while its gradient kernels are 1.3-2.7x
 * faster than Eigen's gradient kernels at every size measured (README, "Benchmark").
 */
final class GenericConv {

  /**
   * The name of the convolutions that {@link #mirrorable} admits. The gradient function cannot ask for the
   * filter's shape (TensorFlow holds the graph's lock while it builds gradients, and a shape query takes it), so
   * the choice made when the op was built travels in its name.
   */
  private static final String MIRRORABLE = "ConvStride1OddKernel";

  private GenericConv() {}

  static Operand<TFloat32> conv(Ops tf, Operand<TFloat32> x, Operand<TFloat32> filter, List<Long> strides) {
    registerGradient();
    return build(tf, x, filter, strides, mirrorable(filter.shape(), strides) ? MIRRORABLE : "Conv");
  }

  private static Operand<TFloat32> build(Ops tf, Operand<TFloat32> x, Operand<TFloat32> filter, List<Long> strides,
      String name) {
    return tf.scope().opBuilder("Conv", name)
        .addInput(x.asOutput())
        .addInput(filter.asOutput())
        .setAttr("strides", strides.stream().mapToLong(Long::longValue).toArray())
        .setAttr("padding", "SAME")
        .build()
        .output(0);
  }

  /**
   * Whether the input gradient is itself a forward convolution: at stride 1 with SAME padding and an odd kernel
   * (symmetric padding), it is the upstream gradient convolved with the filter mirrored in space and with its
   * input and output channels swapped. As a forward {@code Conv} it runs Eigen's kernel, which at these sizes is
   * faster than oneDNN's {@code Conv2DBackpropInput} (README, "Benchmark": ResNet-18 training +27%).
   */
  private static boolean mirrorable(Shape filter, List<Long> strides) {
    return strides.stream().allMatch(s -> s == 1) && filter.numDimensions() == 4
        && filter.size(0) > 0 && filter.size(0) % 2 == 1 && filter.size(1) > 0 && filter.size(1) % 2 == 1;
  }

  private static boolean mirrorable(GraphOperation op) {
    String name = op.name();
    return name.substring(name.lastIndexOf('/') + 1).startsWith(MIRRORABLE);
  }

  @SuppressWarnings("unchecked")
  private static void registerGradient() {
    CustomGradients.registerOnce("Conv", (tf, op, upstream) -> {
      List<Long> strides = Arrays.stream(op.attributes().getAttrIntList("strides")).boxed().toList();
      Operand<TFloat32> x = (Operand<TFloat32>) op.input(0);
      Operand<TFloat32> filter = (Operand<TFloat32>) op.input(1);
      Operand<TFloat32> g = (Operand<TFloat32>) upstream.get(0);
      Operand<TFloat32> dx = mirrorable(op)
          ? build(tf, g, tf.linalg.transpose(tf.reverse(filter, tf.constant(new int[] {0, 1})),
              tf.constant(new int[] {0, 1, 3, 2})), strides, "Conv")
          : tf.nn.conv2dBackpropInput(tf.shape(x), filter, g, strides, "SAME");
      return List.of(dx, tf.nn.conv2dBackpropFilter(x, tf.shape(filter), g, strides, "SAME"));
    });
  }
}
