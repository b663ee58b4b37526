package io.cvpipe.train.loss;

import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.recipe.Targets;

/** Cross-entropy against one-hot labels smoothed by {@code epsilon} (0.1 in CVNets); reported as it is. */
public record LabelSmoothing(int classes, double epsilon) implements Objective {

  @Override
  public float[] targets(LoadedBatch batch) {
    return Targets.smoothed(batch.labels(), classes, epsilon);
  }

  @Override
  public double reported(double crossEntropy, LoadedBatch batch) {
    return crossEntropy;
  }
}
