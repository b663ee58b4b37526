package io.cvpipe.common.metrics;

/** The softmax of a row of logits, computed stably. */
public final class Softmax {

  private Softmax() {}

  /** {@code log(sum exp(logits[offset .. offset + count)))}, shifted by the maximum so it never overflows. */
  public static double logSumExp(float[] logits, int offset, int count) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < count; c++) {
      max = Math.max(max, logits[offset + c]);
    }
    double sum = 0;
    for (int c = 0; c < count; c++) {
      sum += Math.exp(logits[offset + c] - max);
    }
    return max + Math.log(sum);
  }
}
