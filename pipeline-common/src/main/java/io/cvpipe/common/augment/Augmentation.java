package io.cvpipe.common.augment;

import java.io.Serializable;

/**
 * One stored augmentation of a sample, everything needed to replay its pixels exactly (Dataset
 * Reinforcement): the RandomResizedCrop box and flip, the RandAugment operations, the RandomErasing box or
 * none, and the mixing with a partner sample or none.
 *
 * @param ops RandAugment operations in order (empty when RandAugment is off)
 * @param erasing the erased box of the output, as fractions of its height and width; null for none
 * @param mixing MixUp or CutMix with a partner; null for none
 */
public record Augmentation(CropBox crop, RandAugment.Applied[] ops, Box erasing, Mixing mixing) implements Serializable {

  /** A box in fractions of the output image (so a replay at another size erases or pastes the same region). */
  public record Box(float top, float left, float height, float width) implements Serializable {

    /** Pixel rows and columns of the box in an {@code h x w} image: {top, left, bottom, right}, end exclusive. */
    public int[] pixels(int h, int w) {
      int t = Math.round(top * h);
      int l = Math.round(left * w);
      return new int[] {t, l, Math.min(h, Math.max(t, Math.round((top + height) * h))),
          Math.min(w, Math.max(l, Math.round((left + width) * w)))};
    }
  }

  /**
   * Mixing with a partner sample (drawn from the same shard): MixUp blends the whole images with weight
   * {@code lambda} on this one; CutMix pastes the partner's {@code box} into this one, {@code lambda} being
   * the share of this image that remains. The partner is augmented by its own crop, flip and operations.
   */
  public record Mixing(boolean cutmix, float lambda, Box box, long partnerId, CropBox partnerCrop,
      RandAugment.Applied[] partnerOps) implements Serializable {}
}
