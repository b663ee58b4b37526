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
   * Mixing with a partner sample, as ml-dr does it: MixUp, CutMix or both, MixUp first. MixUp blends the whole
   * images with weight {@code mixupLambda} on this one; CutMix then pastes the partner's own view (not blended) into
   * {@code cutmixBox}. The partner is augmented by its own crop, flip, operations and erased box.
   *
   * @param mixupLambda this sample's weight in MixUp; null without MixUp
   * @param cutmixBox the box CutMix pastes, as fractions of the output; null without CutMix
   * @param partnerErasing the partner's RandomErasing box; null for none
   */
  public record Mixing(Float mixupLambda, Box cutmixBox, long partnerId, CropBox partnerCrop,
      RandAugment.Applied[] partnerOps, Box partnerErasing) implements Serializable {

    public Mixing {
      if (mixupLambda == null && cutmixBox == null) {
        throw new IllegalArgumentException("a mixing without MixUp or CutMix");
      }
    }

    /** {@code mixup}, {@code cutmix} or {@code mixup+cutmix}, as the table's {@code mix} column says. */
    public String kind() {
      return mixupLambda == null ? "cutmix" : cutmixBox == null ? "mixup" : "mixup+cutmix";
    }
  }
}
