package io.cvpipe.engine.tensorflow;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceMin;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;

/**
 * Token Pooling (Marin, Chang, Ranjan, Prabhu, Rastegari and Tuzel, "Token Pooling in Vision Transformers", 2021)
 * by weighted K-medoids, the paper's best variant: the N patch tokens of each image are clustered into K = max(1,
 * round(keep N)) by minimising {@code sum_i w_i min_k |x_i - m_k|^2} over medoids m_k taken from the tokens, and
 * the K medoids go on as the tokens. The weights w are PoWER-BERT's significance scores, the attention each token
 * receives in the block before, summed over heads and queries. The medoids start as the K most significant tokens
 * (distinct by construction) and take {@link #ITERATIONS} rounds of assignment (nearest medoid) and update (the
 * member with the least weighted distance to its cluster); a cluster left empty keeps its medoid. The clustering is
 * a discrete choice without gradient; the kept tokens pass theirs on, as a gather does. Everything runs on the
 * graph in batched matrix products, for any N (the input size may change from batch to batch).
 */
final class TokenPooling {

  private TokenPooling() {}

  /** Rounds of K-medoids (the paper: it converges in a few). */
  static final int ITERATIONS = 5;

  /**
   * Pools {@code tokens} [B, N, d] (the patch tokens, class token excluded) to [B, K, d] with the significance
   * {@code attention} [B, heads, 1 + N, 1 + N] of the block that made them (class token first).
   */
  static Operand<TFloat32> pool(Ops tf, Operand<TFloat32> tokens, Operand<TFloat32> attention, double keep) {
    Operand<TFloat32> x = tf.stopGradient(tokens);
    // significance: attention received, summed over heads and queries, without the class token's column
    Operand<TFloat32> received = tf.reduceSum(attention, tf.constant(new int[] {1, 2}));
    Operand<TFloat32> w = tf.stopGradient(tf.stridedSlice(received, tf.constant(new int[] {0, 1}),
        tf.constant(new int[] {0, 0}), tf.constant(new int[] {1, 1}),
        StridedSlice.beginMask(0b01L), StridedSlice.endMask(0b11L)));
    Operand<TInt32> k = keptTokens(tf, tokens, keep);
    // squared distances [B, N, N]: |x_i|^2 + |x_j|^2 - 2 x_i.x_j
    Operand<TFloat32> squares = tf.reduceSum(tf.math.square(x), tf.constant(2), ReduceSum.keepDims(true)); // [B, N, 1]
    Operand<TFloat32> distances = tf.math.maximum(tf.math.sub(tf.math.add(squares, tf.linalg.transpose(squares,
        tf.constant(new int[] {0, 2, 1}))), tf.math.mul(tf.constant(2f), BatchMatMul.product(tf, x, x, false, true))),
        tf.constant(0f));
    Operand<TInt32> medoids = tf.nn.topK(w, k, TInt32.class).indices(); // [B, K]
    Operand<TFloat32> far = tf.constant(Float.MAX_VALUE / 4);
    for (int i = 0; i < ITERATIONS; i++) {
      Operand<TFloat32> chosen = oneHot(tf, medoids, tf.shape(w, TInt32.class), 1); // [B, K, N]
      // distance of every token to every medoid, [B, N, K]; each token joins its nearest
      Operand<TFloat32> toMedoids = BatchMatMul.product(tf, distances, chosen, false, true);
      Operand<TInt32> cluster = tf.math.argMin(toMedoids, tf.constant(2), TInt32.class); // [B, N]
      Operand<TFloat32> member = oneHot(tf, cluster, tf.shape(medoids, TInt32.class), 1); // [B, N, K]
      // cost[b, c, k] = sum_j w_j d(c, j) [j in k]: the weighted distance of candidate c to cluster k's members
      Operand<TFloat32> cost = BatchMatMul.product(tf, distances, tf.math.mul(member, tf.expandDims(w, tf.constant(2))),
          false, false);
      cost = tf.select(tf.math.greater(member, tf.constant(0f)), cost, tf.fill(tf.shape(cost), far)); // members only
      Operand<TInt32> best = tf.math.argMin(cost, tf.constant(1), TInt32.class); // [B, K]
      Operand<TFloat32> least = tf.reduceMin(cost, tf.constant(1), ReduceMin.keepDims(false));
      medoids = tf.select(tf.math.less(least, far), best, medoids); // an empty cluster keeps its medoid
    }
    // the medoids themselves: one-hot rows times the tokens, so the kept tokens receive their gradient
    return BatchMatMul.product(tf, tf.stopGradient(oneHot(tf, medoids, tf.shape(w, TInt32.class), 1)), tokens, false,
        false);
  }

  /** K = max(1, round(keep N)): a constant when N is known when the graph is built, a tensor otherwise. */
  private static Operand<TInt32> keptTokens(Ops tf, Operand<TFloat32> tokens, double keep) {
    long n = tokens.shape().get(1);
    if (n > 0) {
      return tf.constant((int) Math.max(1, Math.round(keep * n)));
    }
    Operand<TFloat32> count = tf.dtypes.cast(tf.gather(tf.shape(tokens), tf.constant(1), tf.constant(0)), TFloat32.class);
    // floor(keep N + 0.5): Math.round's half-up (TensorFlow's Round rounds half to even)
    Operand<TFloat32> rounded = tf.math.floor(tf.math.add(tf.math.mul(count, tf.constant((float) keep)),
        tf.constant(0.5f)));
    return tf.math.maximum(tf.dtypes.cast(rounded, TInt32.class), tf.constant(1));
  }

  /** One-hot of {@code indices} [B, M] over {@code shape[axis]} classes, as float32 [B, M, classes]. */
  private static <T extends TNumber> Operand<TFloat32> oneHot(Ops tf, Operand<T> indices, Operand<TInt32> shape,
      int axis) {
    Operand<TInt32> depth = tf.reshape(tf.gather(shape, tf.constant(axis), tf.constant(0)), tf.constant(new int[0]));
    return tf.oneHot(indices, depth, tf.constant(1f), tf.constant(0f));
  }
}
