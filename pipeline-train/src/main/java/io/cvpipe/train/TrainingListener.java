package io.cvpipe.train;

import io.cvpipe.engine.Engine;
import io.cvpipe.engine.StepProfile;
import java.util.List;

/**
 * What happens around the training loop's steps, as DJL splits it: logging, checkpoints and exports, and any
 * per-epoch policy (SET's, later) listen to the loop instead of living in it. Listeners run on rank 0, in the
 * order given; the loop itself keeps to the steps, the validation and the group's bookkeeping.
 */
public interface TrainingListener {

  /** After a step: its place in the run and the epoch's figures so far ({@code profile} when traced, else null). */
  record BatchEnd(int epoch, int epochs, int step, int steps, double meanLoss, double learningRate,
      double imagesPerSecond, StepProfile profile) {}

  /** Before the first step of this process: {@code done} are the epochs a resumed run read back (else empty). */
  default void onTrainingBegin(Engine engine, List<EpochMetrics> done) {}

  default void onBatch(BatchEnd batch) {}

  /** After an epoch's validation: {@code epoch} is its metrics (its checkpoint directory named), {@code all} the run's. */
  default void onEpoch(Engine engine, EpochMetrics epoch, List<EpochMetrics> all) {}

  /** After the last epoch. */
  default void onTrainingEnd(Engine engine, List<EpochMetrics> all) {}
}
