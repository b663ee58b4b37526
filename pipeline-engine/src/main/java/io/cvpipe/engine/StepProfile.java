package io.cvpipe.engine;

/**
 * One traced training step: its loss, its wall time, and how much of that time the step's all-reduces took
 * (the union of their intervals, waiting for the slowest peer included).
 */
public record StepProfile(float loss, double stepMillis, double allReduceMillis) {

  /** The all-reduce share of the step, 0 to 1. */
  public double allReduceShare() {
    return stepMillis <= 0 ? 0 : Math.min(1, allReduceMillis / stepMillis);
  }
}
