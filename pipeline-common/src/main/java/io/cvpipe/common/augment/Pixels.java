package io.cvpipe.common.augment;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Image bytes to normalised float pixels (HWC, RGB or grey): decode, crop a {@link CropBox}, resize
 * bilinearly to the output size (PIL's filter, see {@link Resize}), mirror, and normalise
 * {@code (x / 255 - mean) / std} per channel.
 */
public final class Pixels {

  /** ImageNet's per-channel mean and standard deviation (RGB), as CVNets and torchvision use. */
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  private Pixels() {}

  /** A thread's last normalisation table: a loader renders view after view with the same mean and std. */
  private static final class Normalisation {
    int channels;
    float[] mean = new float[0];
    float[] std = new float[0];
    float[] table;

    float[] table(int channels, float[] mean, float[] std) {
      if (table == null || this.channels != channels || !Arrays.equals(this.mean, mean)
          || !Arrays.equals(this.std, std)) {
        this.table = normalised(channels, mean, std);
        this.channels = channels;
        this.mean = mean.clone();
        this.std = std.clone();
      }
      return table;
    }
  }

  private static final ThreadLocal<Normalisation> NORMALISATION = ThreadLocal.withInitial(Normalisation::new);

  /** Decodes JPEG or PNG bytes; null when the decoder cannot read them. */
  public static BufferedImage decode(byte[] bytes) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(bytes));
  }

  /**
   * Writes {@code height x width x channels} floats at {@code out[offset]}: the box cut, resized and mirrored as
   * {@link #crop} does, then normalised. With 1 channel the image is grey, with 3 RGB; mean and std have one value
   * per channel.
   */
  public static void render(BufferedImage image, CropBox box, int height, int width, int channels, float[] mean,
      float[] std, float[] out, int offset) {
    float[] table = NORMALISATION.get().table(channels, mean, std);
    Resize.resize(image, box, height, width, channels, (y, sums, length) -> {
      int at = offset + y * length;
      if (channels == 1) {
        for (int i = 0; i < length; i++) {
          out[at + i] = table[Resize.level(sums[i])];
        }
        return;
      }
      for (int i = 0; i < length; i += 3) {
        out[at + i] = table[Resize.level(sums[i])];
        out[at + i + 1] = table[256 | Resize.level(sums[i + 1])];
        out[at + i + 2] = table[512 | Resize.level(sums[i + 2])];
      }
    });
  }

  /** {@code (level / 255 - mean) / std} of each channel's 256 levels, at {@code channel * 256 + level}. */
  private static float[] normalised(int channels, float[] mean, float[] std) {
    float[] table = new float[channels << 8];
    for (int c = 0; c < channels; c++) {
      for (int level = 0; level < 256; level++) {
        table[c << 8 | level] = (level / 255f - mean[c]) / std[c];
      }
    }
    return table;
  }

  /**
   * The box of the image resized to {@code height x width} with PIL's bilinear filter (antialiased when
   * shrinking), mirrored when the box says so: a {@code TYPE_BYTE_GRAY} image for 1 channel, {@code TYPE_INT_RGB}
   * for 3.
   */
  public static BufferedImage crop(BufferedImage image, CropBox box, int height, int width, int channels) {
    if (channels == 3 && Resize.grey(image)) {
      // a grey image in RGB has three equal channels, each resized alike: resize one, a third of the work
      byte[] levels = Resize.crop(image, box, height, width, 1);
      BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      int[] packed = ((DataBufferInt) rgb.getRaster().getDataBuffer()).getData();
      for (int i = 0; i < packed.length; i++) {
        packed[i] = (levels[i] & 0xFF) * 0x010101;
      }
      return rgb;
    }
    byte[] levels = Resize.crop(image, box, height, width, channels);
    if (channels == 1) {
      BufferedImage grey = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
      System.arraycopy(levels, 0, ((DataBufferByte) grey.getRaster().getDataBuffer()).getData(), 0, levels.length);
      return grey;
    }
    BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] packed = ((DataBufferInt) rgb.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < packed.length; i++) {
      packed[i] = (levels[i * 3] & 0xFF) << 16 | (levels[i * 3 + 1] & 0xFF) << 8 | (levels[i * 3 + 2] & 0xFF);
    }
    return rgb;
  }

  /** A {@code TYPE_INT_RGB} image in grey ({@code TYPE_BYTE_GRAY}), by PIL's {@code convert("L")} luma. */
  static BufferedImage grey(BufferedImage rgb) {
    int[] packed = ((DataBufferInt) rgb.getRaster().getDataBuffer()).getData();
    BufferedImage grey = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
    byte[] levels = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < packed.length; i++) {
      int p = packed[i];
      levels[i] = (byte) Resize.luma((p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF);
    }
    return grey;
  }

  /**
   * {@code (x / 255 - mean) / std} of a grey ({@code TYPE_BYTE_GRAY}, 1 channel) or RGB ({@code TYPE_INT_RGB},
   * 3 channels) image, HWC, at {@code out[offset]}.
   */
  public static void normalise(BufferedImage target, float[] mean, float[] std, float[] out, int offset) {
    if (target.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] grey = ((DataBufferByte) target.getRaster().getDataBuffer()).getData();
      float[] table = NORMALISATION.get().table(1, mean, std);
      for (int i = 0; i < grey.length; i++) {
        out[offset + i] = table[grey[i] & 0xFF];
      }
      return;
    }
    int[] rgb = ((DataBufferInt) target.getRaster().getDataBuffer()).getData();
    float[] table = NORMALISATION.get().table(3, mean, std);
    for (int i = 0; i < rgb.length; i++) {
      int p = rgb[i];
      int at = offset + i * 3;
      out[at] = table[(p >> 16) & 0xFF];
      out[at + 1] = table[256 | (p >> 8) & 0xFF];
      out[at + 2] = table[512 | p & 0xFF];
    }
  }
}
