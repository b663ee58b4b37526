package io.cvpipe.common.metrics;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Classification metrics accumulated image by image from logits, and mergeable, so that every Spark
 * partition counts its own and the driver adds them up: top-1, top-5, negative log-likelihood, the confusion
 * matrix and the confidence histogram behind the Expected Calibration Error.
 *
 * <p>ECE (Guo et al. 2017, as the Dataset Reinforcement paper reports it): the top softmax probability of each
 * image falls in one of 15 equal-width bins {@code (b/15, (b+1)/15]}; ECE is {@code sum_b n_b/N |acc_b -
 * conf_b|}, the gap between accuracy and mean confidence in each bin weighted by its share of the images.
 */
public final class ClassificationMetrics implements Serializable {

  public static final int BINS = 15;

  private final int classes;
  private long images;
  private long top1;
  private long top5;
  private double nll;
  private final long[] binCount = new long[BINS];
  private final double[] binConfidence = new double[BINS];
  private final long[] binCorrect = new long[BINS];
  private final long[] confusion;

  public ClassificationMetrics(int classes) {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be at least 1, got " + classes);
    }
    this.classes = classes;
    this.confusion = new long[classes * classes];
  }

  /**
   * Adds one image: its logits ({@code classes} values from {@code offset}) and its true class. Returns the
   * predicted class (the first of the highest logits).
   */
  public int add(float[] logits, int offset, int label) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException("label " + label + " is outside 0.." + (classes - 1));
    }
    double max = Double.NEGATIVE_INFINITY;
    int predicted = 0;
    for (int c = 0; c < classes; c++) {
      float v = logits[offset + c];
      if (v > max) {
        max = v;
        predicted = c;
      }
    }
    double sum = 0;
    int rank = 0; // classes ahead of the true one (ties: the lower index first, as argmax picks)
    float own = logits[offset + label];
    for (int c = 0; c < classes; c++) {
      float v = logits[offset + c];
      sum += Math.exp(v - max);
      if (v > own || (v == own && c < label)) {
        rank++;
      }
    }
    double logSum = Math.log(sum);
    double confidence = 1 / sum; // softmax of the top logit: exp(max - max) / sum
    images++;
    nll += -(own - max - logSum);
    top1 += rank == 0 ? 1 : 0;
    top5 += rank < 5 ? 1 : 0;
    int bin = bin(confidence);
    binCount[bin]++;
    binConfidence[bin] += confidence;
    binCorrect[bin] += predicted == label ? 1 : 0;
    confusion[label * classes + predicted]++;
    return predicted;
  }

  /** The bin of a confidence in (0, 1]: {@code ceil(15 p) - 1}, so that a bin's upper edge belongs to it. */
  static int bin(double confidence) {
    int b = (int) Math.ceil(confidence * BINS) - 1;
    return Math.max(0, Math.min(BINS - 1, b));
  }

  /** Adds another partition's counts to these; returns this. */
  public ClassificationMetrics merge(ClassificationMetrics other) {
    if (other.classes != classes) {
      throw new IllegalArgumentException("cannot merge metrics of " + other.classes + " classes into " + classes);
    }
    images += other.images;
    top1 += other.top1;
    top5 += other.top5;
    nll += other.nll;
    for (int b = 0; b < BINS; b++) {
      binCount[b] += other.binCount[b];
      binConfidence[b] += other.binConfidence[b];
      binCorrect[b] += other.binCorrect[b];
    }
    for (int i = 0; i < confusion.length; i++) {
      confusion[i] += other.confusion[i];
    }
    return this;
  }

  public int classes() {
    return classes;
  }

  public long images() {
    return images;
  }

  public double top1() {
    return ratio(top1, images);
  }

  public double top5() {
    return ratio(top5, images);
  }

  /** Mean negative log-likelihood of the true class (natural log). */
  public double nll() {
    return images == 0 ? Double.NaN : nll / images;
  }

  public double ece() {
    if (images == 0) {
      return Double.NaN;
    }
    double ece = 0;
    for (int b = 0; b < BINS; b++) {
      if (binCount[b] > 0) {
        ece += Math.abs(binCorrect[b] - binConfidence[b]) / images; // n_b/N * |acc_b - conf_b|
      }
    }
    return ece;
  }

  /** One bin of the reliability diagram; accuracy and confidence are NaN in an empty bin. */
  public record Bin(int index, double lower, double upper, long count, double confidence, double accuracy)
      implements Serializable {}

  public Bin[] reliability() {
    Bin[] bins = new Bin[BINS];
    for (int b = 0; b < BINS; b++) {
      bins[b] = new Bin(b, b / (double) BINS, (b + 1) / (double) BINS, binCount[b],
          binCount[b] == 0 ? Double.NaN : binConfidence[b] / binCount[b], ratio(binCorrect[b], binCount[b]));
    }
    return bins;
  }

  /** Images of true class {@code label}, by predicted class. */
  public long[] confusionRow(int label) {
    return Arrays.copyOfRange(confusion, label * classes, (label + 1) * classes);
  }

  public long imagesOf(int label) {
    long n = 0;
    for (int c = 0; c < classes; c++) {
      n += confusion[label * classes + c];
    }
    return n;
  }

  public long correctOf(int label) {
    return confusion[label * classes + label];
  }

  private static double ratio(long part, long whole) {
    return whole == 0 ? Double.NaN : part / (double) whole;
  }
}
