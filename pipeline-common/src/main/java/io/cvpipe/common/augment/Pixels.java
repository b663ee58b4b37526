package io.cvpipe.common.augment;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Image bytes to normalised float pixels (HWC, RGB or grey): decode, crop a {@link CropBox}, resize
 * bilinearly to the output size, mirror, and normalise {@code (x / 255 - mean) / std} per channel.
 */
public final class Pixels {

  /** ImageNet's per-channel mean and standard deviation (RGB), as CVNets and torchvision use. */
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  private Pixels() {}

  /** Decodes JPEG or PNG bytes; null when the decoder cannot read them. */
  public static BufferedImage decode(byte[] bytes) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(bytes));
  }

  /**
   * Writes {@code height x width x channels} floats at {@code out[offset]}. With 1 channel the image is
   * converted to grey, with 3 to RGB; mean and std have one value per channel.
   */
  public static void render(BufferedImage image, CropBox box, int height, int width, int channels, float[] mean,
      float[] std, float[] out, int offset) {
    normalise(crop(image, box, height, width, channels), mean, std, out, offset);
  }

  /** The box of the image, mirrored when it says so, resized bilinearly to {@code height x width}. */
  public static BufferedImage crop(BufferedImage image, CropBox box, int height, int width, int channels) {
    BufferedImage target = new BufferedImage(width, height,
        channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    Graphics2D g = target.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    int x0 = box.flip() ? box.left() + box.width() : box.left();
    int x1 = box.flip() ? box.left() : box.left() + box.width();
    g.drawImage(image, 0, 0, width, height, x0, box.top(), x1, box.top() + box.height(), null);
    g.dispose();
    return target;
  }

  /**
   * {@code (x / 255 - mean) / std} of a grey ({@code TYPE_BYTE_GRAY}, 1 channel) or RGB ({@code TYPE_INT_RGB},
   * 3 channels) image, HWC, at {@code out[offset]}.
   */
  public static void normalise(BufferedImage target, float[] mean, float[] std, float[] out, int offset) {
    if (target.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] grey = ((java.awt.image.DataBufferByte) target.getRaster().getDataBuffer()).getData();
      for (int i = 0; i < grey.length; i++) {
        out[offset + i] = ((grey[i] & 0xFF) / 255f - mean[0]) / std[0];
      }
      return;
    }
    int[] rgb = ((java.awt.image.DataBufferInt) target.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < rgb.length; i++) {
      int p = rgb[i];
      int at = offset + i * 3;
      out[at] = (((p >> 16) & 0xFF) / 255f - mean[0]) / std[0];
      out[at + 1] = (((p >> 8) & 0xFF) / 255f - mean[1]) / std[1];
      out[at + 2] = ((p & 0xFF) / 255f - mean[2]) / std[2];
    }
  }
}
