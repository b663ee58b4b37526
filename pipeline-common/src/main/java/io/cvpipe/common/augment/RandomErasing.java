package io.cvpipe.common.augment;

import java.io.Serializable;
import java.util.Random;

/**
 * RandomErasing (Zhong et al., torchvision's defaults): with probability {@code probability}, a box of 2%-33% of
 * the output's area, log-uniform aspect ratio 0.3-3.3, set to 0 after normalisation (the mean colour).
 */
public record RandomErasing(double probability) implements Serializable {

  /** Never erases (and draws nothing from the random stream, so the other draws are as without it). */
  public static final RandomErasing NONE = new RandomErasing(0);

  public RandomErasing {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("RandomErasing's probability must be in [0, 1], got " + probability);
    }
  }

  /** The box to erase, or null: nothing is drawn when the probability is 0. */
  public Augmentation.Box draw(Random random) {
    return probability > 0 && random.nextDouble() < probability ? box(random) : null;
  }

  /** The box alone: up to ten tries of an area and a ratio that fit; null when none does. */
  public static Augmentation.Box box(Random random) {
    for (int attempt = 0; attempt < 10; attempt++) {
      double area = 0.02 + (1 / 3.0 - 0.02) * random.nextDouble();
      double ratio = Math.exp(Math.log(0.3) + (Math.log(3.3) - Math.log(0.3)) * random.nextDouble());
      double h = Math.sqrt(area * ratio);
      double w = Math.sqrt(area / ratio);
      if (h < 1 && w < 1) {
        return AugmentPolicy.box(random.nextDouble() * (1 - h), random.nextDouble() * (1 - w), h, w);
      }
    }
    return null;
  }
}
