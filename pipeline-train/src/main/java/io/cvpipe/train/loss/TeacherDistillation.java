package io.cvpipe.train.loss;

import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.recipe.Targets;

/**
 * Knowledge distillation from stored teacher answers (Dataset Reinforcement): cross-entropy against the teachers'
 * distributions, which has the same gradient as KL(teacher || student); reported as that KL divergence (the
 * cross-entropy minus the teachers' entropy), which is 0 for a student that matches its teachers.
 */
public record TeacherDistillation(int classes) implements Objective {

  @Override
  public float[] targets(LoadedBatch batch) {
    if (batch.targets() == null) {
      throw new IllegalArgumentException("a batch without teacher distributions cannot be distilled");
    }
    return batch.targets();
  }

  @Override
  public double reported(double crossEntropy, LoadedBatch batch) {
    return crossEntropy - Targets.entropy(batch.targets(), batch.images().count(), classes);
  }
}
