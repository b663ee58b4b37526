package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * DeiT-tiny (Touvron et al., 2021; timm's {@code deit_tiny_patch16_224}): 16x16 patches embedded by a strided
 * convolution to 192 channels, a class token, learned positional embeddings, 12 pre-norm transformer blocks (3
 * heads, GELU FFN of 4x the width), a final layer norm, and the classifier on the class token; 5,717,416 parameters
 * at 1,000 classes and 224x224. For small inputs {@code train.patch-size} and {@code train.depth} change the patch
 * side and the block count, {@code train.width} the embedding width (a multiple of 24: 8 per head). The positional
 * embeddings are kept on ImageNet's 14x14 grid and resized (bilinear) to the grid of the input at hand, so any
 * input size and MSc-VBS's scales work; an input whose sides are not multiples of the patch is resized up to the
 * next multiples first. With {@code train.token-pooling.*}, {@link TokenPooling} shrinks the patch tokens after the
 * chosen blocks (the class token is kept as it is). Layer norm's epsilon is 1e-5 (DeiT's is 1e-6).
 * {@code train.drop-path} is the stochastic depth of the last block (DeiT-tiny trains with 0.1; default 0 here),
 * {@code train.dropout} a dropout before the classifier.
 */
final class DeiT {

  private DeiT() {}

  private static final int HEADS = 3;
  private static final int DIM = 192;
  private static final int GRID = 14;
  private static final double INIT_STD = 0.02;

  static long dim(double width) {
    return Math.max(HEADS * 8, Math.round(DIM * width / (HEADS * 8)) * HEADS * 8);
  }

  static Operand<TFloat32> logits(Layers l, ModelSpec spec, Operand<TFloat32> images) {
    Ops tf = l.ops();
    int patch = spec.transformer().patchOr(ModelSpec.DEIT_PATCH);
    int depth = spec.transformer().depthOr(ModelSpec.DEIT_DEPTH);
    ModelSpec.TokenPooling pooling = spec.transformer().pooling(); // its blocks checked by ModelSpec
    long d = dim(spec.width());
    Operand<TFloat32> x = multipleOf(tf, images, patch);
    // patch embedding: a patch x patch convolution at stride patch (SAME pads nothing on multiples of the stride)
    Operand<TFloat32> grid = l.bias("patch_embed", l.conv("patch_embed", x, patch, spec.channels(), d, patch), d);
    Operand<TInt32> gridSize = tf.slice(tf.shape(grid), tf.constant(new int[] {1}), tf.constant(new int[] {2}));
    Operand<TFloat32> positions = tf.image.resizeBilinear(
        l.parameter("pos_embed", Shape.of(1, GRID, GRID, d), INIT_STD), gridSize);
    Operand<TFloat32> patches = tf.reshape(tf.math.add(grid, positions), tf.concat(List.of(
        tf.slice(tf.shape(grid), tf.constant(new int[] {0}), tf.constant(new int[] {1})),
        tf.constant(new int[] {-1, (int) d})), tf.constant(0)));
    // the class token (and its position), one per image: [1, 1, d] times ones [B, 1, 1]
    Operand<TFloat32> cls = tf.math.add(l.parameter("cls_token", Shape.of(1, 1, d), INIT_STD),
        l.parameter("cls_pos_embed", Shape.of(1, 1, d), INIT_STD));
    Operand<TFloat32> ones = tf.fill(tf.shape(first(tf, patches, 1)), tf.constant(1f)); // OnesLike has no C++ gradient
    Operand<TFloat32> tokens = tf.concat(List.of(tf.math.mul(ones, cls), patches), tf.constant(1));
    for (int b = 1; b <= depth; b++) {
      // stochastic depth growing linearly over the blocks to train.drop-path at the last, as timm's
      double dropPath = depth == 1 ? spec.transformer().dropPath() : spec.transformer().dropPath() * (b - 1) / (depth - 1);
      MobileViT.Encoded block = MobileViT.encoder(l, "block" + b, tokens, d, 4 * d, HEADS, l::gelu, dropPath);
      tokens = block.tokens();
      if (pooling.enabled() && pooling.after().contains(b)) {
        Operand<TFloat32> clsToken = first(tf, tokens, d);
        Operand<TFloat32> rest = tf.stridedSlice(tokens, tf.constant(new int[] {0, 1, 0}),
            tf.constant(new int[] {0, 0, 0}), tf.constant(new int[] {1, 1, 1}), StridedSlice.beginMask(0b101L),
            StridedSlice.endMask(0b111L));
        tokens = tf.concat(List.of(clsToken, TokenPooling.pool(tf, rest, block.attention(), pooling.keep())), tf.constant(1));
      }
    }
    Operand<TFloat32> head = tf.reshape(first(tf, l.layerNorm("norm", tokens, d), d), tf.constant(new int[] {-1, (int) d}));
    return l.dense("head", l.dropout(head, spec.transformer().dropout()), d, spec.classes());
  }

  /** {@code x[:, :1, :width]}: the class token ({@code width} = d), or one channel of it ({@code width} = 1). */
  private static Operand<TFloat32> first(Ops tf, Operand<TFloat32> x, long width) {
    return tf.stridedSlice(x, tf.constant(new int[] {0, 0, 0}), tf.constant(new int[] {0, 1, (int) width}),
        tf.constant(new int[] {1, 1, 1}), StridedSlice.beginMask(0b001L), StridedSlice.endMask(0b001L));
  }

  /** The images resized (bilinear) up to the next multiples of the patch side; multiples: as they are. */
  private static Operand<TFloat32> multipleOf(Ops tf, Operand<TFloat32> images, int patch) {
    if (patch == 1) {
      return images;
    }
    Operand<TInt32> size = tf.slice(tf.shape(images), tf.constant(new int[] {1}), tf.constant(new int[] {2}));
    Operand<TInt32> p = tf.constant(patch);
    return tf.image.resizeBilinear(images, tf.math.mul(tf.math.floorDiv(tf.math.add(size, tf.constant(patch - 1)), p), p));
  }
}
