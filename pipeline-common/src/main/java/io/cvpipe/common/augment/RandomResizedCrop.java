package io.cvpipe.common.augment;

import java.util.Random;

/**
 * Inception-style RandomResizedCrop parameters as torchvision and CVNets draw them: up to ten tries of an
 * area fraction in [scaleMin, scaleMax] and a log-uniform aspect ratio in [ratioMin, ratioMax]; if none
 * fits, the largest centred crop whose ratio is within range. Horizontal flip with probability 1/2.
 */
public record RandomResizedCrop(double scaleMin, double scaleMax, double ratioMin, double ratioMax) implements java.io.Serializable {

  /** The ImageNet defaults: scale 0.08 to 1, ratio 3/4 to 4/3. */
  public static final RandomResizedCrop IMAGENET = new RandomResizedCrop(0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);

  public CropBox draw(int imageHeight, int imageWidth, Random random) {
    double area = (double) imageHeight * imageWidth;
    double logMin = Math.log(ratioMin);
    double logMax = Math.log(ratioMax);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (scaleMin + (scaleMax - scaleMin) * random.nextDouble());
      double ratio = Math.exp(logMin + (logMax - logMin) * random.nextDouble());
      int w = (int) Math.round(Math.sqrt(target * ratio));
      int h = (int) Math.round(Math.sqrt(target / ratio));
      if (w > 0 && h > 0 && w <= imageWidth && h <= imageHeight) {
        int top = random.nextInt(imageHeight - h + 1);
        int left = random.nextInt(imageWidth - w + 1);
        return new CropBox(top, left, h, w, random.nextBoolean());
      }
    }
    double inRatio = (double) imageWidth / imageHeight;
    int w;
    int h;
    if (inRatio < ratioMin) {
      w = imageWidth;
      h = (int) Math.round(w / ratioMin);
    } else if (inRatio > ratioMax) {
      h = imageHeight;
      w = (int) Math.round(h * ratioMax);
    } else {
      w = imageWidth;
      h = imageHeight;
    }
    return new CropBox((imageHeight - h) / 2, (imageWidth - w) / 2, h, w, random.nextBoolean());
  }

  /** CVNets' and torchvision's validation crop: 224 of 256, i.e. 0.875 of the shorter side. */
  public static final double CROP_FRACTION = 0.875;

  /**
   * Validation's view (CVNets / torchvision): resize the shorter side to {@code size / cropFraction}, then the
   * centred {@code size x size} crop, expressed as a box in source pixels. A fraction of 1 keeps the whole
   * shorter side (a square image entire).
   */
  public static CropBox centre(int imageHeight, int imageWidth, int size, double cropFraction) {
    double scale = Math.min(imageHeight, imageWidth) / (size / cropFraction);
    int h = Math.min(imageHeight, (int) Math.round(size * scale));
    int w = Math.min(imageWidth, (int) Math.round(size * scale));
    return new CropBox((imageHeight - h) / 2, (imageWidth - w) / 2, h, w, false);
  }
}
