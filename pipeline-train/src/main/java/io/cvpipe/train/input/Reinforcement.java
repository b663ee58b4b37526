package io.cvpipe.train.input;

import io.cvpipe.common.reinforce.StoredAugmentation;
import java.util.Map;
import java.util.Random;

/**
 * A reinforced dataset as a training task holds it: each sample's stored augmentations with the teachers'
 * top-k answers, and the share of samples per epoch that get one (ml-dr: 0.99; the rest are the plain training
 * view with the one-hot label).
 */
public final class Reinforcement {

  private final Map<Long, StoredAugmentation[]> bySample;
  private final double probability;

  public Reinforcement(Map<Long, StoredAugmentation[]> bySample, double probability) {
    this.bySample = bySample;
    this.probability = probability;
  }

  /**
   * The stored augmentation sample {@code sampleId} is shown this time ({@code random} is the sample's
   * per-epoch stream), or null for the plain view: with probability 1 - p, or when the sample has none.
   */
  StoredAugmentation pick(long sampleId, Random random) {
    StoredAugmentation[] stored = bySample.get(sampleId);
    if (random.nextDouble() >= probability || stored == null || stored.length == 0) {
      return null;
    }
    return stored[random.nextInt(stored.length)];
  }

  public int samples() {
    return bySample.size();
  }
}
