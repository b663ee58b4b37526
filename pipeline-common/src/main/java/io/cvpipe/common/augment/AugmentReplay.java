package io.cvpipe.common.augment;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;

/**
 * Replays a stored {@link Augmentation} into normalised float pixels (HWC): crop, flip and resize, the
 * RandAugment operations, normalisation, the erased box (set to 0, torchvision's value), then the mixing with
 * the partner's own view. The same augmentation of the same bytes gives the same floats, at the teacher's
 * size when reinforce makes it and at the student's when training replays it.
 */
public final class AugmentReplay {

  /**
   * Bump when a change to this class, {@link RandAugment} or {@link Pixels} changes the pixels a stored
   * augmentation replays to: reinforced tables fingerprint it, so their next run makes a new version instead of
   * pairing old teacher answers with new pixels.
   */
  public static final int VERSION = 2; // 2: RandAugment makes torchvision's pixels (Pillow's sampling, truncations)

  private AugmentReplay() {}

  /**
   * Writes {@code height x width x channels} floats at {@code out[offset]}; {@code partner} is the partner
   * sample's decoded image when the augmentation mixes (else ignored).
   */
  public static void render(BufferedImage image, Augmentation a, BufferedImage partner, int height, int width,
      int channels, float[] mean, float[] std, float[] out, int offset) {
    int size = height * width * channels;
    float[] own = view(image, a.crop(), a.ops(), height, width, channels, mean, std);
    if (a.erasing() != null) {
      fill(own, 0, a.erasing(), height, width, channels, null);
    }
    Augmentation.Mixing m = a.mixing();
    if (m != null) {
      if (partner == null) {
        throw new IllegalArgumentException("this augmentation mixes with sample_id " + m.partnerId()
            + ": its image is needed to replay it");
      }
      float[] other = view(partner, m.partnerCrop(), m.partnerOps(), height, width, channels, mean, std);
      if (m.cutmix()) {
        fill(own, 0, m.box(), height, width, channels, other);
      } else {
        float lambda = m.lambda();
        for (int i = 0; i < size; i++) {
          own[i] = lambda * own[i] + (1 - lambda) * other[i];
        }
      }
    }
    System.arraycopy(own, 0, out, offset, size);
  }

  private static float[] view(BufferedImage image, CropBox crop, RandAugment.Applied[] ops, int height, int width,
      int channels, float[] mean, float[] std) {
    BufferedImage target;
    if (ops.length == 0) {
      target = Pixels.crop(image, crop, height, width, channels);
    } else {
      target = RandAugment.apply(Pixels.crop(image, crop, height, width, 3), ops);
      if (channels == 1) {
        BufferedImage grey = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.drawImage(target, 0, 0, null);
        g.dispose();
        target = grey;
      }
    }
    float[] out = new float[height * width * channels];
    Pixels.normalise(target, mean, std, out, 0);
    return out;
  }

  /** Sets the box of the {@code height x width x channels} image at {@code pixels[offset]} to 0 (RandomErasing). */
  public static void erase(float[] pixels, int offset, Augmentation.Box box, int height, int width, int channels) {
    fill(pixels, offset, box, height, width, channels, null);
  }

  /** Sets the box to 0, or to {@code source}'s pixels there ({@code source} starts at the image, not at offset). */
  private static void fill(float[] pixels, int offset, Augmentation.Box box, int height, int width, int channels,
      float[] source) {
    int[] p = box.pixels(height, width);
    for (int y = p[0]; y < p[2]; y++) {
      int from = (y * width + p[1]) * channels;
      int to = (y * width + p[3]) * channels;
      for (int i = from; i < to; i++) {
        pixels[offset + i] = source == null ? 0 : source[i];
      }
    }
  }
}
