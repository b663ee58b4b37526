package io.cvpipe.engine.tensorflow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Layers written with raw TensorFlow ops (there is no Keras in Java). A network is built twice, once in
 * training mode and once in inference mode; variables are created by name on the first build and shared by
 * the second. With {@link #createAverages} every variable gets a shadow (its moving average), and a build in
 * averaged mode reads the shadows instead: the EMA network, a third build over the same layer code. Keeps the bookkeeping the optimiser needs: which parameters take weight decay (convolution and
 * dense kernels) and which do not (batch-norm scale and shift, biases), and the batch-norm statistics
 * updates of the training build.
 */
final class Layers {

  private final Ops tf;
  private final long seed;
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Variable<TFloat32>> averages = new LinkedHashMap<>();
  private final List<Variable<TFloat32>> decayed = new ArrayList<>();
  private final List<Variable<TFloat32>> notDecayed = new ArrayList<>();
  private final List<Op> statisticsUpdates = new ArrayList<>();
  private final float bnMomentum;
  private final Map<String, Convolution> convolutions = new HashMap<>();
  private boolean training;
  private boolean eigenForward;
  private boolean averaged;
  private Collectives synchronised;
  private int initCounter;
  private int dropCounter;

  Layers(Ops tf, long seed, float bnMomentum) {
    this.tf = tf;
    this.seed = seed;
    this.bnMomentum = bnMomentum;
  }

  /**
   * Dense convolutions that follow run their forward pass on Eigen's kernel and their gradients on whatever
   * TensorFlow picks ({@link GenericConv}), stride-1 1x1 ones as a matrix product ({@link #pointwise}): for CPUs
   * where oneDNN is on.
   */
  void eigenForward(boolean on) {
    this.eigenForward = on;
  }

  /**
   * Training builds that follow normalise with the moments of the group's global batch: each layer all-reduces
   * its sums of x and x squared and its pixel count (one collective per layer, and one for its gradient).
   */
  void synchronise(Collectives group) {
    this.synchronised = group;
  }

  void training(boolean training) {
    this.training = training;
  }

  /** Builds that follow read the moving averages (after {@link #createAverages}); they must be inference builds. */
  void averaged(boolean averaged) {
    if (averaged && (training || this.averages.isEmpty())) {
      throw new IllegalStateException("an averaged build needs createAverages() first and inference mode");
    }
    this.averaged = averaged;
  }

  /**
   * One shadow variable per variable made so far (weights and batch-norm statistics), zero-initialised:
   * the caller copies the weights into them once the session has initialised. Returns variable to shadow.
   */
  Map<Variable<TFloat32>, Variable<TFloat32>> createAverages() {
    Map<Variable<TFloat32>, Variable<TFloat32>> pairs = new LinkedHashMap<>();
    for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
      Variable<TFloat32> v = e.getValue();
      Variable<TFloat32> shadow = tf.withName(e.getKey().replace('/', '_') + "_ema").variable(
          tf.fill(tf.constant(v.shape().asArray()), tf.constant(0f)));
      averages.put(e.getKey(), shadow);
      pairs.put(v, shadow);
    }
    return pairs;
  }

  List<Variable<TFloat32>> decayed() {
    return decayed;
  }

  List<Variable<TFloat32>> notDecayed() {
    return notDecayed;
  }

  List<Op> statisticsUpdates() {
    return statisticsUpdates;
  }

  /** He-normal (fan-out) convolution kernel, as torchvision initialises ResNets; SAME padding. */
  Operand<TFloat32> conv(String name, Operand<TFloat32> x, int kernel, long in, long out, int stride) {
    Variable<TFloat32> w = variable(name + "/kernel", true, () -> {
      double std = Math.sqrt(2.0 / (kernel * kernel * out));
      return normal(Shape.of(kernel, kernel, in, out), std);
    });
    if (kernel == 1 && stride > 1) {
      // The same arithmetic as a strided 1x1 convolution (SAME pads nothing for a 1x1 kernel): keep every
      // stride-th pixel, then convolve at stride 1. TF 2.18's oneDNN filter gradient of a strided 1x1
      // convolution corrupts the heap for narrow layers (4 -> 8 channels, batch 5: glibc aborts the JVM).
      x = tf.stridedSlice(x, tf.constant(new int[] {0, 0, 0, 0}), tf.constant(new int[] {0, 0, 0, 0}),
          tf.constant(new int[] {1, stride, stride, 1}), StridedSlice.beginMask(15L), StridedSlice.endMask(15L));
      stride = 1;
    }
    return convolution(new Convolution(x, w, stride, false));
  }

  /**
   * A convolution's inputs, kept by the name of its op so that an inference-mode batch norm right after it can
   * fold into its weights (see {@link #batchNorm}).
   */
  private record Convolution(Operand<TFloat32> input, Operand<TFloat32> filter, int stride, boolean depthwise) {}

  private Operand<TFloat32> convolution(Convolution c) {
    List<Long> strides = Arrays.asList(1L, (long) c.stride(), (long) c.stride(), 1L);
    Shape k = c.filter().shape();
    boolean oneByOne = c.stride() == 1 && k.numDimensions() == 4 && k.size(0) == 1 && k.size(1) == 1
        && k.size(2) > 0 && k.size(3) > 0; // the channels known statically
    Operand<TFloat32> y = c.depthwise() ? tf.nn.depthwiseConv2dNative(c.input(), c.filter(), strides, "SAME")
        : eigenForward && oneByOne ? pointwise(c.input(), c.filter(), k.size(2), k.size(3))
        : eigenForward ? GenericConv.conv(tf, c.input(), c.filter(), strides)
        : tf.nn.conv2d(c.input(), c.filter(), strides, "SAME");
    convolutions.put(y.op().name(), c);
    return y;
  }

  /**
   * A stride-1 1x1 convolution as the matrix product it is: the pixels as rows, {@code [N * H * W, in] x [in, out]}.
   * On CPUs its forward pass and both gradients run as oneDNN's matrix products (MatMul's gradients are in
   * TensorFlow's registry), where the convolution ops took Eigen's forward kernel and oneDNN's filter gradient.
   * Training at 28x28, batch 128, 2 cores (ci/EngineBench.java, old and new alternately): MobileNetV2 668-729
   * images/s against 655-695, MobileViT-XS 291-327 against 266-272; inference and MobileViTv2 unchanged.
   */
  private Operand<TFloat32> pointwise(Operand<TFloat32> x, Operand<TFloat32> filter, long in, long out) {
    Operand<TInt32> shape = tf.shape(x);
    Operand<TFloat32> rows = tf.linalg.matMul(tf.reshape(x, tf.constant(new long[] {-1, in})),
        tf.reshape(filter, tf.constant(new long[] {in, out})));
    return tf.reshape(rows, tf.concat(List.of(tf.slice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {3})),
        tf.constant(new int[] {(int) out})), tf.constant(0)));
  }

  /** Depthwise 3x3-style convolution (channel multiplier 1), He-normal over its k x k fan. */
  Operand<TFloat32> depthwise(String name, Operand<TFloat32> x, int kernel, long channels, int stride) {
    Variable<TFloat32> w = variable(name + "/depthwise", true, () -> normal(Shape.of(kernel, kernel, channels, 1),
        Math.sqrt(2.0 / (kernel * kernel))));
    return convolution(new Convolution(x, w, stride, true));
  }

  Operand<TFloat32> relu6(Operand<TFloat32> x) {
    return tf.nn.relu6(x);
  }

  /** Batch norm: batch statistics (and a moving-average update) in training, moving statistics otherwise. */
  Operand<TFloat32> batchNorm(String name, Operand<TFloat32> x, long channels) {
    Variable<TFloat32> gamma = variable(name + "/gamma", false, () -> fill(channels, 1f));
    Variable<TFloat32> beta = variable(name + "/beta", false, () -> fill(channels, 0f));
    Variable<TFloat32> mean = statistic(name + "/moving_mean", channels, 0f);
    Variable<TFloat32> var = statistic(name + "/moving_variance", channels, 1f);
    if (!training) {
      Convolution before = convolutions.get(x.op().name());
      if (before != null) {
        return folded(before, gamma, beta, mean, var);
      }
      return tf.nn.fusedBatchNorm(x, gamma, beta, mean, var, FusedBatchNorm.isTraining(false), FusedBatchNorm.epsilon(1e-5f)).y();
    }
    if (synchronised != null) {
      return synchronisedBatchNorm(x, gamma, beta, mean, var, channels);
    }
    Operand<TFloat32> empty = tf.constant(new float[0]);
    FusedBatchNorm<TFloat32, TFloat32> bn = tf.nn.fusedBatchNorm(x, gamma, beta, empty, empty,
        FusedBatchNorm.isTraining(true), FusedBatchNorm.epsilon(1e-5f));
    Operand<TFloat32> m = tf.constant(bnMomentum);
    Operand<TFloat32> keep = tf.constant(1f - bnMomentum);
    statisticsUpdates.add(tf.assign(mean, tf.math.add(tf.math.mul(mean, keep), tf.math.mul(bn.batchMean(), m))));
    statisticsUpdates.add(tf.assign(var, tf.math.add(tf.math.mul(var, keep), tf.math.mul(bn.batchVariance(), m))));
    return bn.y();
  }

  /**
   * Inference batch norm folded into the convolution before it, as deployment tool chains do: with {@code s =
   * gamma / sqrt(var + eps)} per output channel, {@code conv(x, w) * s + beta - mean * s} is {@code conv(x, w * s)}
   * plus a bias. One convolution with a bias (which oneDNN and Eigen fuse with the activation after it) instead
   * of a convolution and a normalisation pass over its output: oneDNN's inference batch norm took 80% of
   * MobileNetV2's inference time. The result equals the unfolded one up to float rounding; the unfolded
   * convolution is left unused in the graph.
   */
  private Operand<TFloat32> folded(Convolution c, Variable<TFloat32> gamma, Variable<TFloat32> beta,
      Variable<TFloat32> mean, Variable<TFloat32> var) {
    Operand<TFloat32> scale = tf.math.mul(gamma, tf.math.rsqrt(tf.math.add(var, tf.constant(1e-5f))));
    Operand<TFloat32> shift = tf.math.sub(beta, tf.math.mul(mean, scale));
    // a conv filter is [kh, kw, in, out], a depthwise one [kh, kw, channels, 1]: scale the output channel's axis
    Operand<TFloat32> perChannel = c.depthwise() ? tf.expandDims(scale, tf.constant(-1)) : scale;
    Operand<TFloat32> y = convolution(new Convolution(c.input(), tf.math.mul(c.filter(), perChannel), c.stride(),
        c.depthwise()));
    return tf.nn.biasAdd(y, shift);
  }

  /** Batch norm in training mode over the group's batch; the moving statistics as the fused op keeps them. */
  private Operand<TFloat32> synchronisedBatchNorm(Operand<TFloat32> x, Variable<TFloat32> gamma, Variable<TFloat32> beta,
      Variable<TFloat32> mean, Variable<TFloat32> var, long channels) {
    int c = Math.toIntExact(channels);
    Operand<TInt32> axes = tf.constant(new int[] {0, 1, 2});
    Operand<TFloat32> pixels = tf.stopGradient(tf.dtypes.cast(tf.prod(tf.slice(tf.shape(x), tf.constant(new int[] {0}),
        tf.constant(new int[] {3})), tf.constant(0)), TFloat32.class));
    Operand<TFloat32> local = tf.concat(List.of(tf.sum(x, axes), tf.sum(tf.math.square(x), axes),
        tf.reshape(pixels, tf.constant(new int[] {1}))), tf.constant(0));
    Operand<TFloat32> total = synchronised.sum(tf, local);
    Operand<TFloat32> n = tf.slice(total, tf.constant(new int[] {2 * c}), tf.constant(new int[] {1}));
    Operand<TFloat32> batchMean = tf.math.div(tf.slice(total, tf.constant(new int[] {0}), tf.constant(new int[] {c})), n);
    Operand<TFloat32> batchVar = tf.math.sub(tf.math.div(tf.slice(total, tf.constant(new int[] {c}),
        tf.constant(new int[] {c})), n), tf.math.square(batchMean));
    Operand<TFloat32> scale = tf.math.mul(tf.math.rsqrt(tf.math.add(batchVar, tf.constant(1e-5f))), gamma);
    Operand<TFloat32> y = tf.math.add(tf.math.mul(tf.math.sub(x, batchMean), scale), beta);
    Operand<TFloat32> unbiased = tf.math.mul(batchVar, tf.math.div(n, tf.math.sub(n, tf.constant(1f))));
    Operand<TFloat32> m = tf.constant(bnMomentum);
    Operand<TFloat32> keep = tf.constant(1f - bnMomentum);
    statisticsUpdates.add(tf.assign(mean, tf.math.add(tf.math.mul(mean, keep), tf.math.mul(batchMean, m))));
    statisticsUpdates.add(tf.assign(var, tf.math.add(tf.math.mul(var, keep), tf.math.mul(unbiased, m))));
    return y;
  }

  /** Fully connected layer: kernel (decayed) and bias (not). */
  Operand<TFloat32> dense(String name, Operand<TFloat32> x, long in, long out) {
    Variable<TFloat32> w = variable(name + "/kernel", true, () -> normal(Shape.of(in, out), 1.0 / Math.sqrt(in)));
    Variable<TFloat32> b = variable(name + "/bias", false, () -> fill(out, 0f));
    return tf.nn.biasAdd(tf.linalg.matMul(x, w), b);
  }

  /**
   * A fully connected layer over the last axis of a tensor of any rank ({@code [..., in] -> [..., out]}): the
   * leading axes are flattened for one matrix product and restored after.
   */
  Operand<TFloat32> linear(String name, Operand<TFloat32> x, long in, long out) {
    Operand<TInt32> leading = tf.stridedSlice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {-1}),
        tf.constant(new int[] {1}));
    Operand<TFloat32> flat = dense(name, tf.reshape(x, tf.constant(new long[] {-1, in})), in, out);
    return tf.reshape(flat, tf.concat(List.of(leading, tf.constant(new int[] {(int) out})), tf.constant(0)));
  }

  /**
   * Layer normalisation over the last axis (Ba et al. 2016, PyTorch's LayerNorm: biased variance, epsilon
   * 1e-5), with a scale and a shift per feature that take no weight decay. Composed of ops whose gradients
   * TensorFlow's C++ registry has.
   */
  Operand<TFloat32> layerNorm(String name, Operand<TFloat32> x, long features) {
    return normalise(name, x, features, new int[] {-1});
  }

  /**
   * Normalisation with statistics over {@code axes} (biased variance, epsilon 1e-5, as PyTorch's LayerNorm and
   * GroupNorm) and a scale and a shift per feature of the last axis, which take no weight decay: layer norm over
   * the last axis, GroupNorm(1) over every axis but the batch's.
   */
  Operand<TFloat32> normalise(String name, Operand<TFloat32> x, long features, int[] axes) {
    Variable<TFloat32> gamma = variable(name + "/gamma", false, () -> fill(features, 1f));
    Variable<TFloat32> beta = variable(name + "/beta", false, () -> fill(features, 0f));
    Operand<TInt32> over = tf.constant(axes);
    Operand<TFloat32> mean = tf.math.mean(x, over, org.tensorflow.op.math.Mean.keepDims(true));
    Operand<TFloat32> centred = tf.math.sub(x, mean);
    Operand<TFloat32> variance = tf.math.mean(tf.math.square(centred), over, org.tensorflow.op.math.Mean.keepDims(true));
    Operand<TFloat32> normalised = tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant(1e-5f))));
    return tf.math.add(tf.math.mul(normalised, gamma), beta);
  }

  /** Swish / SiLU, {@code x * sigmoid(x)} (Ramachandran et al. 2017): MobileViT's activation. */
  Operand<TFloat32> swish(Operand<TFloat32> x) {
    return tf.math.mul(x, tf.math.sigmoid(x));
  }

  /**
   * GELU, {@code x Phi(x) = x (1 + erf(x / sqrt 2)) / 2} (Hendrycks and Gimpel 2016; exact, as PyTorch's default):
   * the transformers' FFN activation.
   */
  Operand<TFloat32> gelu(Operand<TFloat32> x) {
    Operand<TFloat32> erf = tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))));
    return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)), tf.math.add(erf, tf.constant(1f)));
  }

  /** A per-channel bias (last axis), without weight decay. */
  Operand<TFloat32> bias(String name, Operand<TFloat32> x, long channels) {
    return tf.nn.biasAdd(x, variable(name + "/bias", false, () -> fill(channels, 0f)));
  }

  /**
   * A free parameter of the given shape (positional embeddings, a class token), initialised from a truncated normal
   * of standard deviation {@code std} (DeiT's 0.02), without weight decay.
   */
  Operand<TFloat32> parameter(String name, Shape shape, double std) {
    return variable(name, false, () -> normal(shape, std));
  }

  /**
   * Inverted dropout in training builds, the identity in inference builds: each value kept with probability
   * {@code 1 - rate} and scaled by {@code 1 / (1 - rate)}.
   */
  Operand<TFloat32> dropout(Operand<TFloat32> x, double rate) {
    return drop(x, rate, tf.shape(x));
  }

  /**
   * Stochastic depth (Huang et al. 2016) on a residual branch of tokens {@code [B, N, d]}: the whole branch of an
   * image dropped with probability {@code rate} in training builds, the others scaled by {@code 1 / (1 - rate)}.
   */
  Operand<TFloat32> dropPath(Operand<TFloat32> branch, double rate) {
    Operand<TInt32> batch = tf.slice(tf.shape(branch), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    return drop(branch, rate, tf.concat(List.of(batch, tf.constant(new int[] {1, 1})), tf.constant(0)));
  }

  private Operand<TFloat32> drop(Operand<TFloat32> x, double rate, Operand<TInt32> maskShape) {
    if (!training || rate == 0) {
      return x;
    }
    // its own seed stream, so that dropout leaves the weights' initialisation as it is
    Operand<TFloat32> uniform = tf.random.randomUniform(maskShape, TFloat32.class, RandomUniform.seed(seed),
        RandomUniform.seed2(1_000_000L + ++dropCounter));
    Operand<TFloat32> keep = tf.math.floor(tf.math.add(uniform, tf.constant((float) (1 - rate))));
    return tf.math.mul(x, tf.math.mul(keep, tf.constant((float) (1 / (1 - rate)))));
  }

  /** The raw op factory, for layers written in their own class (attention's reshapes and products). */
  Ops ops() {
    return tf;
  }

  Operand<TFloat32> tfAdd(Operand<TFloat32> a, Operand<TFloat32> b) {
    return tf.math.add(a, b);
  }

  Operand<TFloat32> relu(Operand<TFloat32> x) {
    return tf.nn.relu(x);
  }

  Operand<TFloat32> maxPool(Operand<TFloat32> x, int size, int stride) {
    return tf.nn.maxPool(x, tf.constant(new int[] {1, size, size, 1}), tf.constant(new int[] {1, stride, stride, 1}), "SAME");
  }

  /** Bilinear resize of a feature map to {@code height x width} (the identity when it is that size already). */
  Operand<TFloat32> resize(Operand<TFloat32> x, int height, int width) {
    return tf.image.resizeBilinear(x, tf.constant(new int[] {height, width}));
  }

  /** {@code [batch, size]}: a feature map as one vector per image. */
  Operand<TFloat32> flatten(Operand<TFloat32> x, long size) {
    return tf.reshape(x, tf.constant(new long[] {-1, size}));
  }

  /** Mean over height and width: any input size gives one vector per image. */
  Operand<TFloat32> globalAveragePool(Operand<TFloat32> x) {
    return tf.math.mean(x, tf.constant(new int[] {1, 2}));
  }

  private interface Init {
    Operand<TFloat32> value();
  }

  private Variable<TFloat32> variable(String name, boolean decay, Init init) {
    if (averaged) {
      return average(name);
    }
    Variable<TFloat32> existing = variables.get(name);
    if (existing != null) {
      return existing;
    }
    Variable<TFloat32> v = tf.withName(name.replace('/', '_')).variable(init.value());
    variables.put(name, v);
    (decay ? decayed : notDecayed).add(v);
    return v;
  }

  private Variable<TFloat32> statistic(String name, long channels, float value) {
    if (averaged) {
      return average(name);
    }
    return variables.computeIfAbsent(name, n -> tf.withName(n.replace('/', '_')).variable(fill(channels, value)));
  }

  private Variable<TFloat32> average(String name) {
    Variable<TFloat32> shadow = averages.get(name);
    if (shadow == null) {
      throw new IllegalStateException("no moving average of " + name + ": the averaged build differs from the first");
    }
    return shadow;
  }

  private Operand<TFloat32> normal(Shape shape, double std) {
    Operand<TInt64> dims = tf.constant(shape.asArray());
    Operand<TFloat32> unit = tf.random.truncatedNormal(dims, TFloat32.class,
        TruncatedNormal.seed(seed), TruncatedNormal.seed2((long) ++initCounter));
    // a truncated normal has std 0.88 of the untruncated one
    return tf.math.mul(unit, tf.constant((float) (std / 0.87962566)));
  }

  private Operand<TFloat32> fill(long n, float value) {
    return tf.fill(tf.constant(new long[] {n}), tf.constant(value));
  }
}
