package io.cvpipe.train.loss;

import io.cvpipe.train.input.LoadedBatch;

/**
 * What a training step minimises for one batch. The engine always takes the cross-entropy of its logits against
 * target distributions; an objective says which distributions and what loss that cross-entropy amounts to.
 */
public interface Objective {

  /** Target distributions, {@code count x classes}, for the engine's cross-entropy. */
  float[] targets(LoadedBatch batch);

  /** The loss to report, from the engine's mean cross-entropy on {@code batch}. */
  double reported(double crossEntropy, LoadedBatch batch);

  /**
   * CVNets' classification objective: label-smoothed cross-entropy on the labels, and on batches that carry a
   * teacher's distributions (a reinforced dataset's stored augmentations) the distillation loss.
   */
  static Objective of(int classes, double labelSmoothing) {
    Objective labels = new LabelSmoothing(classes, labelSmoothing);
    Objective teacher = new TeacherDistillation(classes);
    return new Objective() {
      @Override
      public float[] targets(LoadedBatch batch) {
        return (batch.targets() != null ? teacher : labels).targets(batch);
      }

      @Override
      public double reported(double crossEntropy, LoadedBatch batch) {
        return (batch.targets() != null ? teacher : labels).reported(crossEntropy, batch);
      }
    };
  }
}
