package io.cvpipe.common.augment;

import java.io.Serializable;
import java.util.Random;

/**
 * Which augmentation families a reinforced dataset stores, with their parameters (ml-dr's variants: RRC;
 * RRC + RandAugment + RandomErasing; and with MixUp/CutMix), and the draw of one augmentation as a pure
 * function of (seed, sample id, augmentation index) and the images' sizes.
 *
 * @param erasingProbability RandomErasing's p (area 0.02-1/3 of the output, ratio 0.3-3.3), for this sample's view
 *     and for the partner's
 * @param mixupProbability MixUp's p; its lambda is Beta(mixupAlpha, mixupAlpha) / mixupDivisor (ml-dr: 1.0, 2)
 * @param cutmixProbability CutMix's p, drawn after MixUp's and independently of it (ml-dr: both 0.5, so an
 *     augmentation gets both, one or none); its box from Beta(cutmixAlpha, cutmixAlpha)
 */
public record AugmentPolicy(RandomResizedCrop crop, int randAugmentOps, int randAugmentMagnitude,
    double erasingProbability, double mixupProbability, double mixupAlpha, double mixupDivisor,
    double cutmixProbability, double cutmixAlpha) implements Serializable {

  /** RandomResizedCrop and flip only. */
  public static final AugmentPolicy RRC = new AugmentPolicy(RandomResizedCrop.IMAGENET, 0, 0, 0, 0, 0, 1, 0, 0);
  /** ml-dr's "RRC+RA/RE": RandAugment 2 ops at magnitude 9, RandomErasing p 0.25. */
  public static final AugmentPolicy RRC_RA_RE = new AugmentPolicy(RandomResizedCrop.IMAGENET, 2, 9, 0.25, 0, 0, 1, 0, 0);
  /** ml-dr's "+M*" ({@code randaug_mixing.yaml}): as RRC_RA_RE, then MixUp (p 0.5, alpha 1, lambda / 2) and CutMix (p 0.5, alpha 1). */
  public static final AugmentPolicy RRC_RA_RE_MIX = new AugmentPolicy(RandomResizedCrop.IMAGENET, 2, 9, 0.25, 0.5, 1.0, 2,
      0.5, 1.0);

  public boolean mixes() {
    return mixupProbability > 0 && mixupAlpha > 0 || cutmixProbability > 0 && cutmixAlpha > 0;
  }

  /** The same policy with another crop scale and RandAugment strength (reinforce's settings). */
  public AugmentPolicy with(RandomResizedCrop crop, int randAugmentOps, int randAugmentMagnitude) {
    return new AugmentPolicy(crop, randAugmentOps, randAugmentMagnitude, erasingProbability, mixupProbability,
        mixupAlpha, mixupDivisor, cutmixProbability, cutmixAlpha);
  }

  /**
   * Augmentation {@code index} of sample {@code sampleId} ({@code height x width} pixels); {@code partnerId}
   * and the partner's size are used when this policy mixes.
   */
  public Augmentation draw(long seed, long sampleId, int index, int height, int width, long partnerId,
      int partnerHeight, int partnerWidth) {
    Random random = new Random(mix(seed, sampleId, index));
    CropBox box = crop.draw(height, width, random);
    RandAugment.Applied[] ops = RandAugment.draw(random, randAugmentOps, randAugmentMagnitude);
    Augmentation.Box erasing = random.nextDouble() < erasingProbability ? RandomErasing.box(random) : null;
    Augmentation.Mixing mixing = null;
    boolean mixup = mixupAlpha > 0 && random.nextDouble() < mixupProbability;
    boolean cutmix = cutmixAlpha > 0 && random.nextDouble() < cutmixProbability;
    if (mixup || cutmix) {
      CropBox partnerCrop = crop.draw(partnerHeight, partnerWidth, random);
      RandAugment.Applied[] partnerOps = RandAugment.draw(random, randAugmentOps, randAugmentMagnitude);
      Augmentation.Box partnerErasing = random.nextDouble() < erasingProbability ? RandomErasing.box(random) : null;
      Float lambda = mixup ? quantise(beta(random, mixupAlpha) / mixupDivisor) : null;
      Augmentation.Box pasted = null;
      if (cutmix) { // ml-dr: a box of side sqrt(1 - lambda) about a uniform centre, clipped at the borders
        double cut = Math.sqrt(1 - beta(random, cutmixAlpha));
        double cy = random.nextDouble();
        double cx = random.nextDouble();
        double top = Math.max(0, cy - cut / 2);
        double left = Math.max(0, cx - cut / 2);
        pasted = box(top, left, Math.min(1, cy + cut / 2) - top, Math.min(1, cx + cut / 2) - left);
      }
      mixing = new Augmentation.Mixing(lambda, pasted, partnerId, partnerCrop, partnerOps, partnerErasing);
    }
    return new Augmentation(box, ops, erasing, mixing);
  }

  /**
   * The position of the partner that augmentation {@code index} of the sample at {@code position} mixes with, in
   * a shard of {@code members} samples ordered by sample_id: another member, drawn from (seed, sample id,
   * index); the sample itself in a shard of one.
   */
  public static int partner(long seed, long sampleId, int index, int position, int members) {
    if (members < 2) {
      return position;
    }
    long r = mix(~seed, sampleId, index);
    return (int) ((position + 1 + Math.floorMod(r, (long) (members - 1))) % members);
  }

  /**
   * Fractions (boxes, lambdas) are kept on a grid of {@value #GRID}ths: what is stored is then exactly what
   * was drawn and replayed, and it stores compactly (few distinct values: Parquet's dictionary encoding).
   */
  public static final int GRID = 1024;

  static float quantise(double fraction) {
    return Math.round(Math.max(0, Math.min(1, fraction)) * GRID) / (float) GRID;
  }

  static Augmentation.Box box(double top, double left, double height, double width) {
    return new Augmentation.Box(quantise(top), quantise(left), quantise(height), quantise(width));
  }

  /** Beta(alpha, alpha) from two gamma draws. */
  static double beta(Random random, double alpha) {
    double x = gamma(random, alpha);
    double y = gamma(random, alpha);
    return x + y == 0 ? 0.5 : x / (x + y);
  }

  /** Marsaglia and Tsang's gamma(shape, 1); shape below 1 by the boost U^(1/shape). */
  private static double gamma(Random random, double shape) {
    if (shape < 1) {
      return gamma(random, shape + 1) * Math.pow(random.nextDouble(), 1 / shape);
    }
    double d = shape - 1 / 3.0;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = random.nextGaussian();
      double v = Math.pow(1 + c * x, 3);
      if (v > 0 && Math.log(random.nextDouble()) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }

  /** A stream per (seed, sample, index): SplitMix64's finaliser over the three. */
  static long mix(long seed, long sampleId, int index) {
    long z = seed * 0x9E3779B97F4A7C15L + sampleId;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L + index;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
