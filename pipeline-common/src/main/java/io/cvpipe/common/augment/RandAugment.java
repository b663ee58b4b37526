package io.cvpipe.common.augment;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.Random;

/**
 * RandAugment (Cubuk et al. 2020) as torchvision implements it and ml-dr stores it: {@code numOps} operations
 * drawn uniformly from 14, each at magnitude bin {@code magnitude} of 31, with a random sign for the signed
 * ones. An applied operation is stored as (op id, signed bin) and replayed from that alone: its value depends
 * only on the bin and the image size, never on a random stream.
 *
 * <p>The pixels are those torchvision 0.14 makes of a PIL image (what ml-dr replays): the geometric ops sample as
 * Pillow's NEAREST affine transform does (the inverse matrix applied to pixel centres in 16.16 fixed point, fill 0),
 * translations are whole pixels truncated toward zero, the enhancements blend in single precision and truncate,
 * grey is Pillow's fixed-point luma, AutoContrast truncates its lookup table as PIL's ImageOps does.
 */
public final class RandAugment {

  /** torchvision's {@code num_magnitude_bins}. */
  public static final int BINS = 31;

  /** The 14 operations, in the order of their stored ids. */
  public enum Op {
    IDENTITY(false), SHEAR_X(true), SHEAR_Y(true), TRANSLATE_X(true), TRANSLATE_Y(true), ROTATE(true),
    BRIGHTNESS(true), COLOR(true), CONTRAST(true), SHARPNESS(true), POSTERIZE(false), SOLARIZE(false),
    AUTO_CONTRAST(false), EQUALIZE(false);

    private final boolean signed;

    Op(boolean signed) {
      this.signed = signed;
    }

    public boolean signed() {
      return signed;
    }
  }

  /** One applied operation: its op and its magnitude bin, negative for a negated signed op. */
  public record Applied(Op op, int signedBin) implements java.io.Serializable {

    public Applied {
      if (Math.abs(signedBin) >= BINS || (!op.signed() && signedBin < 0)) {
        throw new IllegalArgumentException(op + " at bin " + signedBin + " (|bin| < " + BINS + ", unsigned ops >= 0)");
      }
    }

    /** As stored in a reinforced table: the op's name and the signed bin, e.g. {@code rotate-9}, {@code solarize+9}. */
    public String code() {
      return op.name().toLowerCase(java.util.Locale.ROOT) + (signedBin < 0 ? "" : "+") + signedBin;
    }

    /** The inverse of {@link #code()}. */
    public static Applied parse(String code) {
      int sign = Math.max(code.lastIndexOf('+'), code.lastIndexOf('-'));
      try {
        return new Applied(Op.valueOf(code.substring(0, sign).toUpperCase(java.util.Locale.ROOT)),
            Integer.parseInt(code.substring(code.charAt(sign) == '+' ? sign + 1 : sign)));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("'" + code + "' is not a RandAugment operation such as rotate-9 or solarize+9", e);
      }
    }

    /**
     * The operation's value at its bin for an image of this size: shear factor, pixels of translation,
     * degrees, enhancement factor minus 1, posterize bits, or solarize threshold.
     */
    public double value(int height, int width) {
      int bin = Math.abs(signedBin);
      double sign = signedBin < 0 ? -1 : 1;
      return switch (op) {
        case SHEAR_X, SHEAR_Y -> sign * 0.3 * bin / (BINS - 1);
        // torchvision: int(150 / 331 * size * bin / 30), truncated toward zero; exact in integers
        case TRANSLATE_X -> sign * (5L * width * bin / 331);
        case TRANSLATE_Y -> sign * (5L * height * bin / 331);
        case ROTATE -> sign * bin; // linspace(0, 30, 31): whole degrees
        case BRIGHTNESS, COLOR, CONTRAST, SHARPNESS -> sign * enhancement(bin);
        case POSTERIZE -> 8 - Math.round(bin / ((BINS - 1) / 4.0));
        case SOLARIZE -> (510 - 17 * bin) / 2.0; // linspace(255, 0, 31), exact
        case IDENTITY, AUTO_CONTRAST, EQUALIZE -> 0;
      };
    }
  }

  private RandAugment() {}

  /** torchvision's {@code linspace(0, 0.9, 31)[bin]}, a float32 as torch computes it ({@code step * bin}). */
  static double enhancement(int bin) {
    float step = 0.9f / (BINS - 1);
    return step * bin;
  }

  /** {@code numOps} operations at {@code magnitudeBin}, as torchvision draws them. */
  public static Applied[] draw(Random random, int numOps, int magnitudeBin) {
    Applied[] ops = new Applied[numOps];
    Op[] all = Op.values();
    for (int i = 0; i < numOps; i++) {
      Op op = all[random.nextInt(all.length)];
      boolean negate = op.signed() && random.nextBoolean();
      ops[i] = new Applied(op, negate ? -magnitudeBin : magnitudeBin);
    }
    return ops;
  }

  /** Applies the operations in order (any image type; the result is {@code TYPE_INT_RGB}). */
  public static BufferedImage apply(BufferedImage rgb, Applied... ops) {
    BufferedImage image = rgb;
    if (image.getType() != BufferedImage.TYPE_INT_RGB) {
      image = image(pixels(image), image.getWidth(), image.getHeight());
    }
    for (Applied a : ops) {
      image = apply(image, a);
    }
    return image;
  }

  private static BufferedImage apply(BufferedImage image, Applied a) {
    int h = image.getHeight();
    int w = image.getWidth();
    double v = a.value(h, w);
    return switch (a.op()) {
      case IDENTITY -> image;
      // torchvision: affine about the top-left corner, shear angle atan(v): output (x, y) samples (x + v y, y)
      case SHEAR_X -> affine(image, 1, v, 0, 0, 1, 0);
      case SHEAR_Y -> affine(image, 1, 0, 0, v, 1, 0);
      case TRANSLATE_X -> affine(image, 1, 0, -v, 0, 1, 0);
      case TRANSLATE_Y -> affine(image, 1, 0, 0, 0, 1, -v);
      case ROTATE -> rotate(image, v);
      case BRIGHTNESS -> blend(image, constant(image, 0), 1 + v);
      case COLOR -> blend(image, grey(image), 1 + v);
      case CONTRAST -> blend(image, constant(image, meanGrey(image)), 1 + v);
      case SHARPNESS -> blend(image, smooth(image), 1 + v);
      case POSTERIZE -> map(image, c -> c & (0xFF << (8 - (int) v)) & 0xFF);
      case SOLARIZE -> map(image, c -> c >= v ? 255 - c : c);
      case AUTO_CONTRAST -> autoContrast(image);
      case EQUALIZE -> equalize(image);
    };
  }

  /**
   * Pillow's {@code Image.rotate(degrees)} (counter-clockwise about the centre, same size): its inverse matrix, with
   * the cosine and sine rounded to 15 decimals as Pillow rounds them.
   */
  private static BufferedImage rotate(BufferedImage image, double degrees) {
    double angle = ((degrees % 360) + 360) % 360;
    if (angle == 0) {
      return image;
    }
    double[] cs = cosSin(angle);
    double cos = cs[0];
    double sin = cs[1];
    double cx = image.getWidth() / 2.0;
    double cy = image.getHeight() / 2.0;
    return affine(image, cos, sin, cos * -cx + sin * -cy + cx, -sin, cos, -sin * -cx + cos * -cy + cy);
  }

  private static double round15(double v) {
    return new java.math.BigDecimal(v).setScale(15, java.math.RoundingMode.HALF_EVEN).doubleValue();
  }

  /**
   * The rounded cosine and sine of each whole angle 0..359, made once: RandAugment rotates by whole degrees, and
   * the rounding costs microseconds a view.
   */
  private static final double[][] WHOLE_DEGREES = new double[360][];

  static {
    for (int degrees = 0; degrees < 360; degrees++) {
      WHOLE_DEGREES[degrees] = rotation(degrees);
    }
  }

  private static double[] cosSin(double angle) {
    return angle == Math.rint(angle) ? WHOLE_DEGREES[(int) angle] : rotation(angle);
  }

  private static double[] rotation(double angle) {
    double radians = -Math.toRadians(angle);
    return new double[] {round15(Math.cos(radians)), round15(Math.sin(radians))};
  }

  /**
   * Pillow's NEAREST affine transform with fill 0: output pixel (x, y) takes the input pixel at the floor of
   * {@code (a X + b Y + c, d X + e Y + f)} for its centre {@code (X, Y) = (x + 1/2, y + 1/2)}. Pillow computes that
   * in floating point for a pure scale and shift, and in 16.16 fixed point otherwise; so does this, so that ties
   * fall the same way.
   */
  private static BufferedImage affine(BufferedImage image, double a, double b, double c, double d, double e, double f) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] in = pixels(image);
    int[] out = new int[w * h];
    if (b == 0 && d == 0) {
      int[] column = new int[w];
      double xo = c + a * 0.5;
      for (int x = 0; x < w; x++, xo += a) {
        column[x] = xo < 0 ? -1 : (int) xo;
      }
      double yo = f + e * 0.5;
      for (int y = 0; y < h; y++, yo += e) {
        int row = yo < 0 ? -1 : (int) yo;
        for (int x = 0; row >= 0 && row < h && x < w; x++) {
          if (column[x] >= 0 && column[x] < w) {
            out[y * w + x] = in[row * w + column[x]];
          }
        }
      }
      return image(out, w, h);
    }
    int a0 = fixed(a);
    int a1 = fixed(b);
    int a3 = fixed(d);
    int a4 = fixed(e);
    int a2 = fixed(c + a * 0.5 + b * 0.5);
    int a5 = fixed(f + d * 0.5 + e * 0.5);
    for (int y = 0; y < h; y++, a2 += a1, a5 += a4) {
      int xx = a2;
      int yy = a5;
      for (int x = 0; x < w; x++, xx += a0, yy += a3) {
        int sx = xx >> 16;
        int sy = yy >> 16;
        if (sx >= 0 && sx < w && sy >= 0 && sy < h) {
          out[y * w + x] = in[sy * w + sx];
        }
      }
    }
    return image(out, w, h);
  }

  private static int fixed(double v) {
    return (int) Math.floor(v * 65536.0 + 0.5);
  }

  private interface ChannelMap {
    int apply(int channel);
  }

  private static BufferedImage map(BufferedImage image, ChannelMap f) {
    int[] px = pixels(image);
    int[] lut = new int[256];
    for (int c = 0; c < 256; c++) {
      lut[c] = f.apply(c);
    }
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      px[i] = lut[(p >> 16) & 0xFF] << 16 | lut[(p >> 8) & 0xFF] << 8 | lut[p & 0xFF];
    }
    return image(px, image.getWidth(), image.getHeight());
  }

  /**
   * PIL's ImageEnhance ({@code Image.blend}): {@code degenerate + factor * (image - degenerate)} in single precision,
   * truncated into 0..255.
   */
  private static BufferedImage blend(BufferedImage image, int[] degenerate, double factor) {
    float alpha = (float) factor;
    int[] px = pixels(image);
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      int d = degenerate[i];
      int r = blend((d >> 16) & 0xFF, (p >> 16) & 0xFF, alpha);
      int g = blend((d >> 8) & 0xFF, (p >> 8) & 0xFF, alpha);
      int b = blend(d & 0xFF, p & 0xFF, alpha);
      px[i] = r << 16 | g << 8 | b;
    }
    return image(px, image.getWidth(), image.getHeight());
  }

  private static int blend(int degenerate, int channel, float alpha) {
    float v = degenerate + alpha * (channel - degenerate);
    return v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
  }

  private static int[] constant(BufferedImage image, int grey) {
    int[] out = new int[image.getWidth() * image.getHeight()];
    java.util.Arrays.fill(out, grey << 16 | grey << 8 | grey);
    return out;
  }

  /** ITU-R 601-2 luma in Pillow's fixed point, as its convert("L"). */
  private static int luma(int p) {
    return (((p >> 16) & 0xFF) * 19595 + ((p >> 8) & 0xFF) * 38470 + (p & 0xFF) * 7471 + 0x8000) >> 16;
  }

  private static int[] grey(BufferedImage image) {
    int[] px = pixels(image);
    for (int i = 0; i < px.length; i++) {
      int l = luma(px[i]);
      px[i] = l << 16 | l << 8 | l;
    }
    return px;
  }

  private static int meanGrey(BufferedImage image) {
    long sum = 0;
    int[] px = pixels(image);
    for (int p : px) {
      sum += luma(p);
    }
    return (int) Math.round(sum / (double) Math.max(1, px.length));
  }

  /** PIL's SMOOTH kernel (1 1 1 / 1 5 1 / 1 1 1, /13) inside, the border pixels kept. */
  private static int[] smooth(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] px = pixels(image);
    int[] out = px.clone();
    for (int y = 1; y < h - 1; y++) {
      for (int x = 1; x < w - 1; x++) {
        int r = 0;
        int g = 0;
        int b = 0;
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int weight = dx == 0 && dy == 0 ? 5 : 1;
            int p = px[(y + dy) * w + x + dx];
            r += weight * ((p >> 16) & 0xFF);
            g += weight * ((p >> 8) & 0xFF);
            b += weight * (p & 0xFF);
          }
        }
        out[y * w + x] = clip(r / 13.0) << 16 | clip(g / 13.0) << 8 | clip(b / 13.0);
      }
    }
    return out;
  }

  /**
   * Each channel stretched to 0..255 from its own min..max (unchanged when flat), PIL's ImageOps.autocontrast: the
   * lookup table is {@code int(c * scale + offset)}, truncated, so the top can land on 254.
   */
  private static BufferedImage autoContrast(BufferedImage image) {
    int[] px = pixels(image);
    int[][] lut = new int[3][256];
    for (int ch = 0; ch < 3; ch++) {
      int shift = 16 - 8 * ch;
      int lo = 255;
      int hi = 0;
      for (int p : px) {
        int c = (p >> shift) & 0xFF;
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
      }
      double scale = 255.0 / (hi - lo);
      double offset = -lo * scale;
      for (int c = 0; c < 256; c++) {
        lut[ch][c] = hi <= lo ? c : Math.max(0, Math.min(255, (int) (c * scale + offset)));
      }
    }
    return lookup(image, px, lut);
  }

  /** Histogram equalisation per channel (PIL's ImageOps.equalize). */
  private static BufferedImage equalize(BufferedImage image) {
    int[] px = pixels(image);
    int[][] lut = new int[3][256];
    for (int ch = 0; ch < 3; ch++) {
      int shift = 16 - 8 * ch;
      int[] hist = new int[256];
      for (int p : px) {
        hist[(p >> shift) & 0xFF]++;
      }
      int last = 255;
      while (last > 0 && hist[last] == 0) {
        last--;
      }
      int step = (px.length - hist[last]) / 255;
      for (int c = 0; c < 256; c++) {
        lut[ch][c] = c;
      }
      if (step > 0) {
        int n = step / 2;
        for (int c = 0; c < 256; c++) {
          lut[ch][c] = Math.min(255, n / step);
          n += hist[c];
        }
      }
    }
    return lookup(image, px, lut);
  }

  private static BufferedImage lookup(BufferedImage image, int[] px, int[][] lut) {
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      px[i] = lut[0][(p >> 16) & 0xFF] << 16 | lut[1][(p >> 8) & 0xFF] << 8 | lut[2][p & 0xFF];
    }
    return image(px, image.getWidth(), image.getHeight());
  }

  /**
   * A copy of the image's packed RGB pixels (the operations write into it). A {@code TYPE_INT_RGB} image, which
   * every operation makes, is copied from its buffer: {@code getRGB} converts pixel by pixel, and was most of a
   * replayed view's time.
   */
  private static int[] pixels(BufferedImage image) {
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return ((DataBufferInt) image.getRaster().getDataBuffer()).getData().clone();
    }
    return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
  }

  /** A {@code TYPE_INT_RGB} image of the packed pixels (any alpha {@code getRGB} gave them left out). */
  private static BufferedImage image(int[] px, int w, int h) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] buffer = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < buffer.length; i++) {
      buffer[i] = px[i] & 0xFFFFFF;
    }
    return out;
  }

  private static int clip(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
