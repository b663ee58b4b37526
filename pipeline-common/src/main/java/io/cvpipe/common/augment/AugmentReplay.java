package io.cvpipe.common.augment;

import java.awt.image.BufferedImage;

/**
 * Replays a stored {@link Augmentation} into normalised float pixels (HWC) in ml-dr's order: crop, flip and
 * resize, the RandAugment operations, the erased box (0 before normalisation, as ml-dr erases its [0, 1] tensor),
 * normalisation; then, with a partner (its own view made the same way), MixUp and then CutMix. The same
 * augmentation of the same bytes gives the same floats, at the teacher's size when reinforce makes it and at the
 * student's when training replays it.
 */
public final class AugmentReplay {

  /**
   * Bump when a change to this class, {@link RandAugment} or {@link Pixels} changes the pixels a stored
   * augmentation replays to: reinforced tables fingerprint it, so their next run makes a new version instead of
   * pairing old teacher answers with new pixels.
   */
  public static final int VERSION = 4; // 2: torchvision's RandAugment pixels; 3: ml-dr's MixUp-then-CutMix, erasing before normalisation; 4: PIL's antialiased bilinear resize and luma grey instead of Java2D's

  private AugmentReplay() {}

  /**
   * {@link #VERSION}, read at run time: other modules compare against this, since a constant would be copied into
   * their classes when they are compiled.
   */
  public static int version() {
    return VERSION;
  }

  /**
   * Writes {@code height x width x channels} floats at {@code out[offset]}; {@code partner} is the partner
   * sample's decoded image when the augmentation mixes (else ignored).
   */
  public static void render(BufferedImage image, Augmentation a, BufferedImage partner, int height, int width,
      int channels, float[] mean, float[] std, float[] out, int offset) {
    int size = height * width * channels;
    float[] own = view(image, a.crop(), a.ops(), a.erasing(), height, width, channels, mean, std);
    Augmentation.Mixing m = a.mixing();
    if (m != null) {
      if (partner == null) {
        throw new IllegalArgumentException("this augmentation mixes with sample_id " + m.partnerId()
            + ": its image is needed to replay it");
      }
      float[] other = view(partner, m.partnerCrop(), m.partnerOps(), m.partnerErasing(), height, width, channels,
          mean, std);
      if (m.mixupLambda() != null) {
        float lambda = m.mixupLambda();
        for (int i = 0; i < size; i++) {
          own[i] = lambda * own[i] + (1 - lambda) * other[i];
        }
      }
      if (m.cutmixBox() != null) {
        fill(own, 0, m.cutmixBox(), height, width, channels, other);
      }
    }
    System.arraycopy(own, 0, out, offset, size);
  }

  /** One image's view: crop, flip, resize, RandAugment, erased box (black: 0 before normalisation), normalised. */
  private static float[] view(BufferedImage image, CropBox crop, RandAugment.Applied[] ops, Augmentation.Box erasing,
      int height, int width, int channels, float[] mean, float[] std) {
    BufferedImage target;
    if (ops.length == 0) {
      target = Pixels.crop(image, crop, height, width, channels);
    } else {
      target = RandAugment.apply(Pixels.crop(image, crop, height, width, 3), ops);
      if (channels == 1) {
        target = Pixels.grey(target);
      }
    }
    float[] out = new float[height * width * channels];
    Pixels.normalise(target, mean, std, out, 0);
    if (erasing != null) {
      int[] p = erasing.pixels(height, width);
      for (int y = p[0]; y < p[2]; y++) {
        for (int x = p[1]; x < p[3]; x++) {
          for (int c = 0; c < channels; c++) {
            out[(y * width + x) * channels + c] = -mean[c] / std[c];
          }
        }
      }
    }
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
