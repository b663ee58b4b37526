package io.cvpipe.train.recipe;

/**
 * CVNets' schedule: linear warm-up by iteration from {@code warmupInit} to {@code max} over
 * {@code warmupIterations}, then cosine annealing by epoch from {@code max} to {@code min} over
 * {@code epochs}: {@code min + (max - min) / 2 * (1 + cos(pi * epoch / epochs))}.
 */
public record LearningRateSchedule(double max, double min, double warmupInit, long warmupIterations, int epochs)
    implements java.io.Serializable {

  public LearningRateSchedule {
    if (max <= 0 || min < 0 || min > max || warmupInit < 0 || warmupIterations < 0 || epochs <= 0) {
      throw new IllegalArgumentException("learning rates must satisfy 0 <= min <= max, max > 0, epochs > 0: " + this);
    }
  }

  public double at(long iteration, int epoch) {
    if (iteration < warmupIterations) {
      return warmupInit + (max - warmupInit) * iteration / warmupIterations;
    }
    return min + 0.5 * (max - min) * (1 + Math.cos(Math.PI * epoch / epochs));
  }
}
