package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * MobileViTv2 (Mehta and Rastegari, 2022: "Separable Self-attention for Mobile Vision Transformers") as
 * apple/ml-cvnets builds it ({@code models/classification/mobilevit_v2.py}, {@code config/mobilevit_v2.py},
 * {@code modules/mobilevit_block.py} MobileViTBlockv2, {@code layers/linear_attention.py}): MobileNetV2's layout
 * with swish, and in stages 3 to 5 a stride-2 inverted residual followed by a block of depthwise 3x3, 1x1 to the
 * attention width d, unfold into 2x2 patches, pre-norm attention units with GroupNorm(1), GroupNorm(1), fold and a
 * 1x1 back (batch norm, no activation; no fusion, no skip). The attention is separable, linear in the patches: a 1x1
 * projection to 1 + 2d channels gives a query (one channel), keys and values; the query's softmax over the N patches
 * weighs the keys into one context vector per pixel position, which scales ReLU(values) before the output
 * projection. The width multiplier ({@code train.width}, 0.5 to 2.0 in the paper) sets every layer through CVNets'
 * make_divisible; no expansion before the classifier. A feature map with an odd side is resized up to even
 * (bilinear, corners aligned) before the block, and stays that size after, as CVNets does. {@code train.dropout}
 * drops before the classifier (CVNets has none for this model).
 */
final class MobileViTv2 {

  private MobileViTv2() {}

  private static final int EXPANSION = 2;
  /** Output channels and attention widths of stages 3-5 at width 1.0, and their attention units. */
  private static final int[] CHANNELS = {256, 384, 512};
  private static final int[] DIMS = {128, 192, 256};
  private static final int[] UNITS = {2, 4, 3};

  static Operand<TFloat32> logits(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    double w = spec.width();
    Downsampling down = new Downsampling(spec);
    long in = MobileNet.divisible(Math.min(64, Math.max(16, 32 * w)), 8, 16);
    Operand<TFloat32> x = l.swish(l.batchNorm("stem_bn",
        l.conv("stem", images, 3, spec.channels(), in, down.stride(spec.stemStride())), in));
    long out = MobileNet.divisible(64 * w, 16, 16);
    x = MobileViT.invertedResidual(l, "b1", x, in, out, down.stride(1), EXPANSION);
    in = out;
    out = MobileNet.divisible(128 * w);
    x = MobileViT.invertedResidual(l, "b2", x, in, out, down.stride(2), EXPANSION);
    x = MobileViT.invertedResidual(l, "b3", x, out, out, 1, EXPANSION);
    in = out;
    for (int stage = 0; stage < 3; stage++) {
      out = MobileNet.divisible(CHANNELS[stage] * w);
      x = MobileViT.invertedResidual(l, "b" + (stage + 4), x, in, out, down.stride(2), EXPANSION);
      in = out;
      long d = MobileNet.divisible(DIMS[stage] * w);
      x = block(l, "mvit" + (stage + 3), x, in, d, 2 * d / 16 * 16, UNITS[stage]);
    }
    return l.dense("fc", l.dropout(l.globalAveragePool(x), spec.transformer().dropout()), in, spec.classes());
  }

  private static Operand<TFloat32> block(Layers l, String name, Operand<TFloat32> x, long channels, long d, long ffn,
      int units) {
    Ops tf = l.ops();
    x = evenSides(tf, x);
    Operand<TFloat32> local = l.swish(l.batchNorm(name + "_local_bn", l.depthwise(name + "_local", x, 3, channels, 1),
        channels));
    MobileViT.Patches patches = MobileViT.Patches.unfold(tf, l.conv(name + "_in", local, 1, channels, d, 1), d);
    Operand<TFloat32> tokens = patches.tokens();
    for (int u = 0; u < units; u++) {
      String unit = name + "_u" + u;
      tokens = l.tfAdd(tokens, attention(l, unit + "_attn", groupNorm(l, unit + "_gn1", tokens, d), d));
      Operand<TFloat32> h = l.swish(l.linear(unit + "_ffn1", groupNorm(l, unit + "_gn2", tokens, d), d, ffn));
      tokens = l.tfAdd(tokens, l.linear(unit + "_ffn2", h, ffn, d));
    }
    tokens = groupNorm(l, name + "_gn", tokens, d);
    return l.batchNorm(name + "_out_bn", l.conv(name + "_out", patches.fold(tokens), 1, d, channels, 1), channels);
  }

  /**
   * Separable self-attention over {@code [4B, N, d]} (one sequence of N patches per pixel position): linear in N,
   * where multi-head attention's score matrix is N x N.
   */
  static Operand<TFloat32> attention(Layers l, String name, Operand<TFloat32> x, long d) {
    Ops tf = l.ops();
    Operand<TFloat32> qkv = l.linear(name + "_qkv", x, d, 1 + 2 * d);
    // SplitV, not three strided slices: its gradient concatenates the parts, where each slice's gradient would write
    // a zero-filled tensor of all 1 + 2d channels (TensorFlow's StridedSliceGrad, slow here) and AddN sum them
    List<Output<TFloat32>> parts = tf.splitV(qkv, tf.constant(new long[] {1, d, d}), tf.constant(2), 3L).output();
    Operand<TFloat32> query = parts.get(0);
    Operand<TFloat32> keys = parts.get(1);
    Operand<TFloat32> values = parts.get(2);
    // softmax over the patches: [4B, N, 1] -> [4B, N] -> softmax -> [4B, N, 1]
    Operand<TFloat32> scores = tf.expandDims(tf.nn.softmax(tf.squeeze(query,
        Squeeze.axis(List.of(2L)))), tf.constant(2));
    Operand<TFloat32> context = tf.reduceSum(tf.math.mul(keys, scores), tf.constant(1),
        ReduceSum.keepDims(true)); // [4B, 1, d]
    return l.linear(name + "_out", tf.math.mul(tf.nn.relu(values), context), d, d);
  }

  /**
   * GroupNorm with one group (CVNets' layer_norm_2d) over the tokens of {@link MobileViT.Patches}: statistics over
   * all of a sample's 4 x N x d values, which sit at [p, b, :, :] of the {@code [4, B, N, d]} view of
   * {@code [4B, N, d]}; a scale and a shift per channel.
   */
  static Operand<TFloat32> groupNorm(Layers l, String name, Operand<TFloat32> tokens, long d) {
    Ops tf = l.ops();
    Operand<TInt32> shape = tf.shape(tokens);
    Operand<TFloat32> perSample = tf.reshape(tokens, tf.concat(List.of(tf.constant(new int[] {4, -1}),
        tf.slice(shape, tf.constant(new int[] {1}), tf.constant(new int[] {2}))), tf.constant(0)));
    return tf.reshape(l.normalise(name, perSample, d, new int[] {0, 2, 3}), shape);
  }

  /** The map resized up to even sides (bilinear, corners aligned, as CVNets' resize_input_if_needed); even: as is. */
  private static Operand<TFloat32> evenSides(Ops tf, Operand<TFloat32> x) {
    Operand<TInt32> size = tf.slice(tf.shape(x), tf.constant(new int[] {1}), tf.constant(new int[] {2}));
    Operand<TInt32> even = tf.math.mul(tf.math.floorDiv(tf.math.add(size, tf.constant(1)), tf.constant(2)),
        tf.constant(2));
    return tf.image.resizeBilinear(x, even, ResizeBilinear.alignCorners(true));
  }
}
