package io.cvpipe.train.recipe;

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
}
