package io.cvpipe.train.recipe;

import io.cvpipe.common.metrics.Softmax;

/** Target distributions fed to the engine's cross-entropy. */
public final class Targets {

  private Targets() {}

  /**
   * One-hot labels with label smoothing {@code epsilon} (Szegedy et al. 2016): the true class gets
   * {@code 1 - epsilon + epsilon / K}, every other {@code epsilon / K}.
   */
  public static float[] smoothed(int[] labels, int classes, double epsilon) {
    float[] t = new float[labels.length * classes];
    float off = (float) (epsilon / classes);
    java.util.Arrays.fill(t, off);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("label " + labels[i] + " is not a class index below " + classes);
      }
      t[i * classes + labels[i]] = (float) (1 - epsilon + epsilon / classes);
    }
    return t;
  }

  /**
   * Mean entropy of {@code count} target distributions: the engine's cross-entropy minus this is the mean
   * KL(target || model), the loss of training from a reinforced dataset (their gradients are the same).
   */
  public static double entropy(float[] targets, int count, int classes) {
    double sum = 0;
    for (int i = 0; i < count * classes; i++) {
      if (targets[i] > 0) {
        sum -= targets[i] * Math.log(targets[i]);
      }
    }
    return sum / Math.max(1, count);
  }

  /** KL(target || softmax(logits)) of one image, in nats: sum p (log p - log q). */
  public static double kl(float[] target, int targetOffset, float[] logits, int logitOffset, int classes) {
    double logZ = Softmax.logSumExp(logits, logitOffset, classes);
    double kl = 0;
    for (int c = 0; c < classes; c++) {
      double p = target[targetOffset + c];
      if (p > 0) {
        kl += p * (Math.log(p) - (logits[logitOffset + c] - logZ));
      }
    }
    return kl;
  }
}
