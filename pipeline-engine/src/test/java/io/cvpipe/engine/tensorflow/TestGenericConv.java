package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Precision;
import io.cvpipe.engine.StepProfile;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The generic Conv op with its registered gradient computes what Conv2D and TensorFlow's own Conv2D gradient
 * compute, and the engine on a CPU with oneDNN runs its forward convolutions on Eigen's kernel and their
 * gradients on oneDNN's, in float32 only.
 */
class TestGenericConv {

  @Test
  void forwardAndGradientsEqualConv2d() {
    for (int stride : new int[] {1, 2}) {
      for (int kernel : new int[] {1, 2, 3}) { // 2: even, so its input gradient is Conv2DBackpropInput
        float[][] generic = forwardAndGradients(true, stride, kernel);
        float[][] reference = forwardAndGradients(false, stride, kernel);
        for (int i = 0; i < reference.length; i++) {
          assertThat(reference[i]).as("output %d, stride %d, kernel %d", i, stride, kernel).hasSize(generic[i].length);
          double scale = 1e-5 * (1 + max(reference[i]));
          for (int j = 0; j < reference[i].length; j++) {
            assertThat((double) generic[i][j]).as("output %d [%d], stride %d, kernel %d", i, j, stride, kernel)
                .isCloseTo(reference[i][j], within(scale));
          }
        }
      }
    }
  }

  /** y = conv(x, w) on a 2x9x7x3 input with 5 filters; y, and the gradients of sum(y * r) for x and w. */
  private static float[][] forwardAndGradients(boolean generic, int stride, int kernel) {
    Random random = new Random(17);
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> x = tf.constant(Shape.of(2, 9, 7, 3), DataBuffers.of(gaussian(random, 2 * 9 * 7 * 3)));
      Operand<TFloat32> w = tf.constant(Shape.of(kernel, kernel, 3, 5), DataBuffers.of(gaussian(random, kernel * kernel * 15)));
      List<Long> strides = List.of(1L, (long) stride, (long) stride, 1L);
      Operand<TFloat32> y = generic ? GenericConv.conv(tf, x, w, strides) : tf.nn.conv2d(x, w, strides, "SAME");
      int outputs = 2 * ceil(9, stride) * ceil(7, stride) * 5;
      Operand<TFloat32> r = tf.constant(Shape.of(2, ceil(9, stride), ceil(7, stride), 5),
          DataBuffers.of(gaussian(random, outputs)));
      Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(y, r), tf.constant(new int[] {0, 1, 2, 3}));
      Output<?>[] grads = graph.addGradients(loss.asOutput(), new Output<?>[] {x.asOutput(), w.asOutput()});
      try (Result result = session.runner().fetch(y).fetch(grads[0]).fetch(grads[1]).run()) {
        float[][] values = new float[3][];
        for (int i = 0; i < 3; i++) {
          TFloat32 t = (TFloat32) result.get(i);
          values[i] = new float[(int) t.size()];
          t.asRawTensor().data().asFloats().read(values[i]);
        }
        return values;
      }
    }
  }

  @Test
  void theEngineConvolvesForwardOnEigenAndBackwardOnOneDnnAndBfloat16TrainsOnOneDnnAlone() {
    assumeTrue(OneDnn.enabled(), "TF_ENABLE_ONEDNN_OPTS is off: TensorFlow runs Eigen's kernels everywhere");
    ModelSpec spec = new ModelSpec("resnet18", 0.0625, 3, 3, 1, false, 7);
    ImageBatch batch = GradientCheck.images(4, 12, 3, 5);
    float[] target = GradientCheck.oneHot(new int[] {0, 1, 2, 0});
    OptimizerSpec sgd = new OptimizerSpec(0, false, 0, 0.1);
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, sgd, Device.CPU, Precision.FLOAT32)) {
      StepProfile step = engine.profiledTrainStep(batch, target, 0.1f);
      assertThat(types(step)).contains("Conv", "_MklNativeConv2DBackpropInput", "_MklNativeConv2DBackpropFilter")
          .doesNotContain("_MklNativeConv2D", "Conv2D");
      StepProfile inference = engine.profiledPredict(batch);
      assertThat(types(inference)).contains("Conv").doesNotContain("_MklNativeConv2D", "Conv2D");
      // the input gradients of the stride-1 convolutions with odd kernels are forward convolutions too
      assertThat(count(step, "Conv")).isGreaterThan(count(inference, "Conv"));
    }
    try (TensorFlowEngine engine = TensorFlowEngine.create(spec, sgd, Device.CPU, Precision.BFLOAT16)) {
      assertThat(types(engine.profiledTrainStep(batch, target, 0.1f))).doesNotContain("Conv");
      // its inference build (validation, and the SavedModel that reinforce and eval load) is float32 Eigen's
      assertThat(types(engine.profiledPredict(batch))).contains("Conv").doesNotContain("_MklNativeConv2D", "Conv2D");
    }
  }

  private static Set<String> types(StepProfile profile) {
    return profile.ops().stream().map(StepProfile.OpTime::type).collect(Collectors.toSet());
  }

  private static int count(StepProfile profile, String type) {
    return profile.ops().stream().filter(op -> op.type().equals(type)).mapToInt(StepProfile.OpTime::count).sum();
  }

  private static int ceil(int size, int stride) {
    return (size + stride - 1) / stride;
  }

  private static float[] gaussian(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static double max(float[] values) {
    double m = 0;
    for (float v : values) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
