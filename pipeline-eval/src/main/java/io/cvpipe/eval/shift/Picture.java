package io.cvpipe.eval.shift;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;

/**
 * An image as floats in [0, 1], row-major HWC, with 1 (grey) or 3 (RGB) channels: what ImageNet-C's corruption
 * functions compute on ({@code np.array(x) / 255.}).
 */
record Picture(float[] values, int height, int width, int channels) {

  Picture {
    if (values.length != height * width * channels || (channels != 1 && channels != 3)) {
      throw new IllegalArgumentException(height + "x" + width + "x" + channels + " does not fit " + values.length + " values");
    }
  }

  static Picture blank(int height, int width, int channels) {
    return new Picture(new float[height * width * channels], height, width, channels);
  }

  /** A decoded image: grey when it has one colour component (an alpha channel is dropped), else RGB. */
  static Picture of(BufferedImage image) {
    int h = image.getHeight();
    int w = image.getWidth();
    if (image.getColorModel().getNumColorComponents() == 1) {
      Picture p = blank(h, w, 1);
      var raster = image.getRaster();
      int max = (1 << image.getColorModel().getComponentSize(0)) - 1;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          p.values[y * w + x] = raster.getSample(x, y, 0) / (float) max;
        }
      }
      return p;
    }
    Picture p = blank(h, w, 3);
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < rgb.length; i++) {
      p.values[3 * i] = ((rgb[i] >> 16) & 0xFF) / 255f;
      p.values[3 * i + 1] = ((rgb[i] >> 8) & 0xFF) / 255f;
      p.values[3 * i + 2] = (rgb[i] & 0xFF) / 255f;
    }
    return p;
  }

  float at(int y, int x, int c) {
    return values[(y * width + x) * channels + c];
  }

  /**
   * 8-bit pixels as ImageNet-C saves them: {@code np.uint8(np.clip(x, 0, 1) * 255)}, which truncates.
   */
  BufferedImage image() {
    if (channels == 1) {
      BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
      byte[] grey = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
      for (int i = 0; i < grey.length; i++) {
        grey[i] = (byte) byte8(values[i]);
      }
      return out;
    }
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] rgb = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = byte8(values[3 * i]) << 16 | byte8(values[3 * i + 1]) << 8 | byte8(values[3 * i + 2]);
    }
    return out;
  }

  static int byte8(float v) {
    return (int) (Math.min(1f, Math.max(0f, v)) * 255f);
  }
}
