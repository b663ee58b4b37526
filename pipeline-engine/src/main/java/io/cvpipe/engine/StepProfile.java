package io.cvpipe.engine;

import java.util.List;

/**
 * One traced training step: its loss, its wall time, how much of that time the step's all-reduces took (the union
 * of their intervals, waiting for the slowest peer included), and the time of each kind of op.
 *
 * @param ops per op type (Conv2DBackpropFilter, FusedBatchNormGradV3, ...), the summed run time of its ops in the
 *     step, longest first; ops run in parallel, so these add up to more than the step's wall time. Empty when the
 *     engine cannot trace.
 */
public record StepProfile(float loss, double stepMillis, double allReduceMillis, List<OpTime> ops) {

  public StepProfile {
    ops = List.copyOf(ops);
  }

  /** The ops of one type in a step: how many ran, and their summed run time. */
  public record OpTime(String type, int count, double millis) {}

  /** The all-reduce share of the step, 0 to 1. */
  public double allReduceShare() {
    return stepMillis <= 0 ? 0 : Math.min(1, allReduceMillis / stepMillis);
  }

  /** The ops' summed run time, all types. */
  public double opMillis() {
    return ops.stream().mapToDouble(OpTime::millis).sum();
  }
}
