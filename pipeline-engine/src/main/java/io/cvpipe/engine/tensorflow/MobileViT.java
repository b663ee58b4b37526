package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * MobileViT (Mehta and Rastegari, ICLR 2022) as apple/ml-cvnets builds it ({@code models/classification/mobilevit.py},
 * {@code modules/mobilevit_block.py}, {@code config/mobilevit.py}): a 3x3 stride-2 stem, MobileNetV2 blocks, and in
 * stages 3 to 5 a stride-2 MobileNetV2 block followed by a MobileViT block: local 3x3 convolution, 1x1 to the
 * transformer width d, unfold into 2x2 patches ({@code [B * 4, N, d]}: attention runs across the N patches for
 * each of the 4 pixel positions), pre-norm transformer blocks (multi-head attention, head dimension d / 4, and a
 * swish FFN), layer norm, fold, 1x1 back (BN, swish), and a 3x3 fusion of the input with the output; then a 1x1
 * expansion to min(4 C5, 960), global pooling and the classifier. Swish throughout. A feature map whose sides are
 * not multiples of the patch is resized to the next multiples for the transformer and back after, as CVNets does.
 * {@code train.dropout} drops before the classifier (CVNets' classifier dropout, 0.1 in its recipes; default 0 here);
 * {@code train.stem-pool} is ignored (MobileViT's stem has no pool), as the
 * MobileNets ignore it.
 */
final class MobileViT {

  private MobileViT() {}

  private static final int PATCH = 2;
  private static final int HEADS = 4;

  /** One variant's channels of layers 1-5, transformer widths and FFN widths of layers 3-5, MobileNetV2 expansion. */
  private record Variant(int[] channels, int[] dims, int[] ffn, int expansion) {}

  private static final int[] BLOCKS = {2, 4, 3};

  private static Variant variant(String architecture) {
    return switch (architecture) {
      case "mobilevit-xxs" -> new Variant(new int[] {16, 24, 48, 64, 80}, new int[] {64, 80, 96},
          new int[] {128, 160, 192}, 2);
      case "mobilevit-xs" -> new Variant(new int[] {32, 48, 64, 80, 96}, new int[] {96, 120, 144},
          new int[] {192, 240, 288}, 4);
      case "mobilevit-s" -> new Variant(new int[] {32, 64, 96, 128, 160}, new int[] {144, 192, 240},
          new int[] {288, 384, 480}, 4);
      default -> throw new IllegalArgumentException("not a MobileViT: " + architecture);
    };
  }

  /** Channels scaled by the width multiplier (1.0: the published layout), at least 8 and a multiple of 4 heads. */
  private static long scaled(int channels, double width, int multiple) {
    long c = Math.round(channels * width / multiple) * multiple;
    return Math.max(multiple * 2L, c);
  }

  static Operand<TFloat32> logits(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    Variant v = variant(spec.architecture());
    double w = spec.width();
    Downsampling down = new Downsampling(spec);
    long in = scaled(16, w, 4);
    Operand<TFloat32> x = l.swish(l.batchNorm("stem_bn",
        l.conv("stem", images, 3, spec.channels(), in, down.stride(spec.stemStride())), in));
    int block = 0;
    // layers 1 and 2: MobileNetV2 blocks only (1 at stride 1, 3 starting at stride 2)
    int[][] plain = {{v.channels()[0], 1, 1}, {v.channels()[1], 3, 2}};
    for (int[] layer : plain) {
      long out = scaled(layer[0], w, 4);
      for (int r = 0; r < layer[1]; r++) {
        x = invertedResidual(l, "b" + (++block), x, in, out, down.stride(r == 0 ? layer[2] : 1), v.expansion());
        in = out;
      }
    }
    for (int stage = 0; stage < 3; stage++) {
      long out = scaled(v.channels()[stage + 2], w, 4);
      x = invertedResidual(l, "b" + (++block), x, in, out, down.stride(2), v.expansion());
      in = out;
      long d = scaled(v.dims()[stage], w, HEADS);
      long ffn = scaled(v.ffn()[stage], w, 4);
      x = mobileViTBlock(l, "mvit" + (stage + 3), x, in, d, ffn, BLOCKS[stage]);
    }
    long expanded = Math.min(4 * in, 960);
    x = l.swish(l.batchNorm("expand_bn", l.conv("expand", x, 1, in, expanded, 1), expanded));
    return l.dense("fc", l.dropout(l.globalAveragePool(x), spec.transformer().dropout()), expanded, spec.classes());
  }

  /** CVNets' InvertedResidual: MobileNetV2's block with swish, hidden = round(in x t) to a multiple of 8. */
  static Operand<TFloat32> invertedResidual(Layers l, String name, Operand<TFloat32> x, long in, long out, int stride,
      int expansion) {
    return MobileNet.invertedResidual(l, name, x, in, MobileNet.divisible(Math.round(in * (double) expansion)), out,
        stride, l::swish);
  }

  private static Operand<TFloat32> mobileViTBlock(Layers l, String name, Operand<TFloat32> x, long channels, long d,
      long ffn, int blocks) {
    Ops tf = l.ops();
    Operand<TFloat32> local = l.swish(l.batchNorm(name + "_local_bn", l.conv(name + "_local", x, 3, channels, channels, 1),
        channels));
    Operand<TFloat32> y = l.conv(name + "_in", local, 1, channels, d, 1); // no norm, no bias
    Patches patches = Patches.unfold(tf, y, d);
    Operand<TFloat32> tokens = patches.tokens();
    for (int b = 0; b < blocks; b++) {
      tokens = encoder(l, name + "_t" + b, tokens, d, ffn, HEADS, l::swish, 0).tokens();
    }
    tokens = l.layerNorm(name + "_norm", tokens, d);
    y = patches.fold(tokens);
    y = l.swish(l.batchNorm(name + "_out_bn", l.conv(name + "_out", y, 1, d, channels, 1), channels));
    Operand<TFloat32> both = tf.concat(List.of(x, y), tf.constant(3));
    return l.swish(l.batchNorm(name + "_fusion_bn", l.conv(name + "_fusion", both, 3, 2 * channels, channels, 1),
        channels));
  }

  /** A transformer block's output and its attention weights, {@code [B, heads, N (queries), N (keys)]}. */
  record Encoded(Operand<TFloat32> tokens, Operand<TFloat32> attention) {}

  /**
   * A pre-norm transformer encoder block: x + MHA(LN(x)), then x + FFN(LN(x)), the FFN's activation given, each
   * branch dropped per image with probability {@code dropPath} in training (stochastic depth; 0: never).
   */
  static Encoded encoder(Layers l, String name, Operand<TFloat32> x, long d, long ffn, int heads,
      UnaryOperator<Operand<TFloat32>> activation, double dropPath) {
    Encoded attended = attention(l, name + "_mha", l.layerNorm(name + "_ln1", x, d), d, heads);
    x = l.tfAdd(x, l.dropPath(attended.tokens(), dropPath));
    Operand<TFloat32> h = activation.apply(l.linear(name + "_ffn1", l.layerNorm(name + "_ln2", x, d), d, ffn));
    return new Encoded(l.tfAdd(x, l.dropPath(l.linear(name + "_ffn2", h, ffn, d), dropPath)), attended.attention());
  }

  /** Multi-head self-attention over {@code [B, N, d]}: one qkv projection, scaled dot products, softmax, projection. */
  static Encoded attention(Layers l, String name, Operand<TFloat32> x, long d, int heads) {
    Ops tf = l.ops();
    long head = d / heads;
    Operand<TFloat32> qkv = l.linear(name + "_qkv", x, d, 3 * d);
    Operand<TInt32> shape = tf.shape(x);
    Operand<TInt32> batch = tf.slice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<TInt32> tokens = tf.slice(shape, tf.constant(new int[] {1}), tf.constant(new int[] {1}));
    // [B, N, 3, heads, head] -> [3, B, heads, N, head]
    Operand<TFloat32> split = tf.linalg.transpose(tf.reshape(qkv, tf.concat(List.of(batch, tokens,
        tf.constant(new int[] {3, heads, (int) head})), tf.constant(0))), tf.constant(new int[] {2, 0, 3, 1, 4}));
    // Unstack, not three strided slices: its gradient stacks the three parts, where each slice's gradient would
    // write a zero-filled tensor of all three (TensorFlow's StridedSliceGrad, slow here) and AddN would sum them
    List<Output<TFloat32>> parts = tf.unstack(split, 3L, Unstack.axis(0L)).output();
    Operand<TFloat32> q = tf.math.mul(parts.get(0), tf.constant((float) (1 / Math.sqrt(head))));
    Operand<TFloat32> k = parts.get(1);
    Operand<TFloat32> v = parts.get(2);
    Operand<TFloat32> scores = BatchMatMul.product(tf, q, k, false, true);
    Operand<TFloat32> weights = tf.nn.softmax(scores);
    Operand<TFloat32> mixed = BatchMatMul.product(tf, weights, v, false, false);
    // [B, heads, N, head] -> [B, N, d]
    Operand<TFloat32> merged = tf.reshape(tf.linalg.transpose(mixed, tf.constant(new int[] {0, 2, 1, 3})),
        tf.concat(List.of(batch, tokens, tf.constant(new int[] {(int) d})), tf.constant(0)));
    return new Encoded(l.linear(name + "_proj", merged, d, d), weights);
  }

  /**
   * A feature map cut into 2x2 patches as CVNets unfolds it: {@code [B, H, W, d] -> [B * 4, N, d]}, one sequence of
   * N = (H / 2)(W / 2) patches per pixel position inside a patch, after resizing H and W up to even sizes.
   */
  record Patches(Ops tf, Operand<TFloat32> tokens, Operand<TInt32> size, Operand<TInt32> resized, long d) {

    static Patches unfold(Ops tf, Operand<TFloat32> x, long d) {
      Operand<TInt32> shape = tf.shape(x);
      Operand<TInt32> size = tf.slice(shape, tf.constant(new int[] {1}), tf.constant(new int[] {2}));
      Operand<TInt32> p = tf.constant(PATCH);
      // ceil(size / 2) * 2: the identity for even sides (a bilinear resize to the same size copies the pixels)
      Operand<TInt32> resized = tf.math.mul(tf.math.floorDiv(tf.math.add(size, tf.constant(PATCH - 1)), p), p);
      Operand<TFloat32> even = tf.image.resizeBilinear(x, resized);
      Operand<TInt32> batch = tf.slice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
      Operand<TInt32> grid = tf.math.floorDiv(resized, p);
      // [B, H/2, 2, W/2, 2, d] -> [2, 2, B, H/2, W/2, d] -> [4 B, N, d]
      Operand<TFloat32> cells = tf.reshape(even, tf.concat(List.of(batch, tf.slice(grid, tf.constant(new int[] {0}),
          tf.constant(new int[] {1})), tf.constant(new int[] {PATCH}), tf.slice(grid, tf.constant(new int[] {1}),
          tf.constant(new int[] {1})), tf.constant(new int[] {PATCH, (int) d})), tf.constant(0)));
      Operand<TInt32> patches = tf.reshape(tf.prod(grid, tf.constant(0)), tf.constant(new int[] {1}));
      Operand<TFloat32> tokens = tf.reshape(tf.linalg.transpose(cells, tf.constant(new int[] {2, 4, 0, 1, 3, 5})),
          tf.concat(List.of(tf.constant(new int[] {-1}), patches, tf.constant(new int[] {(int) d})), tf.constant(0)));
      return new Patches(tf, tokens, size, resized, d);
    }

    /** The inverse of {@link #unfold}, resized back to the map's own size. */
    Operand<TFloat32> fold(Operand<TFloat32> tokens) {
      Operand<TInt32> p = tf.constant(PATCH);
      Operand<TInt32> grid = tf.math.floorDiv(resized, p);
      Operand<TInt32> gh = tf.slice(grid, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
      Operand<TInt32> gw = tf.slice(grid, tf.constant(new int[] {1}), tf.constant(new int[] {1}));
      // [4 B, N, d] -> [2, 2, B, H/2, W/2, d] -> [B, H/2, 2, W/2, 2, d] -> [B, H, W, d]
      Operand<TFloat32> cells = tf.reshape(tokens, tf.concat(List.of(tf.constant(new int[] {PATCH, PATCH, -1}), gh, gw,
          tf.constant(new int[] {(int) d})), tf.constant(0)));
      Operand<TFloat32> map = tf.reshape(tf.linalg.transpose(cells, tf.constant(new int[] {2, 3, 0, 4, 1, 5})),
          tf.concat(List.of(tf.constant(new int[] {-1}), resized, tf.constant(new int[] {(int) d})), tf.constant(0)));
      return tf.image.resizeBilinear(map, size);
    }
  }
}
