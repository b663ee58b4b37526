package io.cvpipe.train.input;

import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.reinforce.StoredAugmentation;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * A reinforced dataset as a training task holds it: each sample's stored augmentations with the teachers'
 * top-k answers, and the share of samples per epoch that get one (ml-dr: 0.99; the rest are the plain training
 * view with the one-hot label).
 */
public final class Reinforcement {

  private final StoredAugmentations stored;
  private final double probability;
  /** Mixing partners from outside the share (a rank of distributed training), or null. */
  private final InMemorySamples partners;

  public Reinforcement(StoredAugmentations stored, double probability) {
    this(stored, probability, null);
  }

  private Reinforcement(StoredAugmentations stored, double probability, InMemorySamples partners) {
    this.stored = stored;
    this.probability = probability;
    this.partners = partners;
  }

  /** The same stored augmentations, with these partners' images at hand. */
  public Reinforcement withPartners(InMemorySamples partners) {
    return new Reinforcement(stored, probability, partners);
  }

  /**
   * The mixing partners that the augmentations the samples of {@code share} are shown in {@code epoch} need and
   * that {@code share} does not hold: a rank holds its share of the split, and a partner comes from anywhere in
   * its partner group. The picks are the loader's own ({@link BatchLoader#stream}), so these are exactly the
   * images it will ask for.
   */
  public Set<Long> partnersOutside(InMemorySamples share, long seed, int epoch) {
    Set<Long> outside = new HashSet<>();
    for (int i = 0; i < share.size(); i++) {
      long id = share.sampleId(i);
      StoredAugmentation picked = pick(id, BatchLoader.stream(seed, epoch, id));
      Augmentation.Mixing mixing = picked == null ? null : picked.augmentation().mixing();
      if (mixing != null && share.indexOf(mixing.partnerId()) < 0) {
        outside.add(mixing.partnerId());
      }
    }
    return outside;
  }

  /** A partner's image loaded with {@link #withPartners}, or null. */
  BufferedImage partner(long sampleId) throws IOException {
    int index = partners == null ? -1 : partners.indexOf(sampleId);
    return index < 0 ? null : partners.decode(index);
  }

  /**
   * The stored augmentation sample {@code sampleId} is shown this time ({@code random} is the sample's
   * per-epoch stream), or null for the plain view: with probability 1 - p, or when the sample has none.
   */
  StoredAugmentation pick(long sampleId, Random random) {
    int count = stored.count(sampleId);
    if (random.nextDouble() >= probability || count == 0) {
      return null;
    }
    return stored.get(sampleId, random.nextInt(count));
  }

  public int samples() {
    return stored.samples();
  }

  /** The stored augmentations behind this, for the log. */
  public StoredAugmentations stored() {
    return stored;
  }
}
