package io.cvpipe.common.reinforce;

import io.cvpipe.common.metrics.Softmax;
import java.util.Arrays;

/**
 * The teacher's answer for one stored augmentation, as a reinforced table keeps it: the k most probable
 * classes, most probable first, with their probabilities on a grid of {@value #GRID}ths (rounded down, so
 * they never sum above 1), and the full distribution training rebuilds from it: the probability the top-k
 * leave, {@code 1 - sum}, spread evenly over the other classes (ml-dr).
 *
 * @param classes class indices, most probable first
 * @param probabilities their probabilities, on the grid
 */
public record TeacherTopK(int[] classes, float[] probabilities) {

  /** Probabilities are multiples of 1/GRID: 13 bits, few distinct values, exact in a float. */
  public static final int GRID = 8192;

  public TeacherTopK {
    if (classes.length != probabilities.length) {
      throw new IllegalArgumentException(classes.length + " classes but " + probabilities.length + " probabilities");
    }
  }

  /** The top {@code k} of the distribution at {@code probs[offset .. offset + count)}. */
  public static TeacherTopK of(float[] probs, int offset, int count, int k) {
    int n = Math.min(k, count);
    int[] order = new int[n];
    float[] values = new float[n];
    boolean[] taken = new boolean[count];
    for (int j = 0; j < n; j++) {
      int best = -1;
      for (int c = 0; c < count; c++) {
        if (!taken[c] && (best < 0 || probs[offset + c] > probs[offset + best])) {
          best = c;
        }
      }
      taken[best] = true;
      order[j] = best;
      values[j] = (float) Math.floor(Math.max(0, probs[offset + best]) * GRID) / GRID;
    }
    return new TeacherTopK(order, values);
  }

  /** Writes the full distribution over {@code count} classes at {@code out[offset]}; it sums to 1. */
  public void expand(int count, float[] out, int offset) {
    double sum = 0;
    for (float p : probabilities) {
      sum += p;
    }
    int others = count - classes.length;
    if (others > 0) {
      Arrays.fill(out, offset, offset + count, (float) (Math.max(0, 1 - sum) / others));
      for (int j = 0; j < classes.length; j++) {
        out[offset + classes[j]] = probabilities[j];
      }
    } else {
      // every class is in the top-k: only the grid's rounding is left over; scale it away
      Arrays.fill(out, offset, offset + count, 0f);
      for (int j = 0; j < classes.length; j++) {
        out[offset + classes[j]] = (float) (sum > 0 ? probabilities[j] / sum : 1.0 / count);
      }
    }
  }

  /** Softmax of {@code logits[offset .. offset + count)}, added with weight {@code weight} into {@code out}. */
  public static void addSoftmax(float[] logits, int offset, int count, float weight, float[] out, int outOffset) {
    double logSum = Softmax.logSumExp(logits, offset, count);
    for (int c = 0; c < count; c++) {
      out[outOffset + c] += (float) (weight * Math.exp(logits[offset + c] - logSum));
    }
  }
}
