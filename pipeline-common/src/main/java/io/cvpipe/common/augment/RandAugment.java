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

  /**
   * Applies the operations in order (any image type; the result is {@code TYPE_INT_RGB}). They run on one array of
   * packed pixels; the image is made once, at the end.
   */
  public static BufferedImage apply(BufferedImage rgb, Applied... ops) {
    if (rgb.getType() == BufferedImage.TYPE_INT_RGB && java.util.Arrays.stream(ops).allMatch(a -> a.op() == Op.IDENTITY)) {
      return rgb;
    }
    int h = rgb.getHeight();
    int w = rgb.getWidth();
    int[] px = pixels(rgb);
    for (Applied a : ops) {
      px = apply(px, w, h, a);
    }
    return image(px, w, h);
  }

  /** One operation on {@code w x h} packed pixels: in place, or into a new array, which it returns. */
  private static int[] apply(int[] px, int w, int h, Applied a) {
    double v = a.value(h, w);
    return switch (a.op()) {
      case IDENTITY -> px;
      // torchvision: affine about the top-left corner, shear angle atan(v): output (x, y) samples (x + v y, y)
      case SHEAR_X -> affine(px, w, h, 1, v, 0, 0, 1, 0);
      case SHEAR_Y -> affine(px, w, h, 1, 0, 0, v, 1, 0);
      case TRANSLATE_X -> affine(px, w, h, 1, 0, -v, 0, 1, 0);
      case TRANSLATE_Y -> affine(px, w, h, 1, 0, 0, 0, 1, -v);
      case ROTATE -> rotate(px, w, h, v);
      // a constant degenerate image blends each channel value alike: one table
      case BRIGHTNESS -> lookup(px, blendRow(0, 1 + v));
      case COLOR -> blend(px, grey(px), 1 + v);
      case CONTRAST -> lookup(px, blendRow(meanGrey(px), 1 + v));
      case SHARPNESS -> blend(px, smooth(px, w, h), 1 + v);
      case POSTERIZE -> lookup(px, table(c -> c & (0xFF << (8 - (int) v)) & 0xFF));
      case SOLARIZE -> lookup(px, table(c -> c >= v ? 255 - c : c));
      case AUTO_CONTRAST -> autoContrast(px);
      case EQUALIZE -> equalize(px);
    };
  }

  /**
   * Pillow's {@code Image.rotate(degrees)} (counter-clockwise about the centre, same size): its inverse matrix, with
   * the cosine and sine rounded to 15 decimals as Pillow rounds them.
   */
  private static int[] rotate(int[] px, int w, int h, double degrees) {
    double angle = ((degrees % 360) + 360) % 360;
    if (angle == 0) {
      return px;
    }
    double[] cs = cosSin(angle);
    double cos = cs[0];
    double sin = cs[1];
    double cx = w / 2.0;
    double cy = h / 2.0;
    return affine(px, w, h, cos, sin, cos * -cx + sin * -cy + cx, -sin, cos, -sin * -cx + cos * -cy + cy);
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
  private static int[] affine(int[] in, int w, int h, double a, double b, double c, double d, double e, double f) {
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
      return out;
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
    return out;
  }

  private static int fixed(double v) {
    return (int) Math.floor(v * 65536.0 + 0.5);
  }

  private interface ChannelMap {
    int apply(int channel);
  }

  /** {@code f} of each channel value 0..255. */
  private static int[] table(ChannelMap f) {
    int[] lut = new int[256];
    for (int c = 0; c < 256; c++) {
      lut[c] = f.apply(c);
    }
    return lut;
  }

  /** The same table on every channel, in place. */
  private static int[] lookup(int[] px, int[] lut) {
    return lookup(px, new int[][] {lut, lut, lut});
  }

  /**
   * PIL's ImageEnhance ({@code Image.blend}): {@code degenerate + factor * (image - degenerate)} in single precision,
   * truncated into 0..255.
   */
  private static int[] blend(int[] px, int[] degenerate, double factor) {
    byte[] table = blendTable((float) factor);
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      int d = degenerate[i];
      if (p != d) { // blending a value with itself gives it back
        px[i] = (table[(d >> 8 & 0xFF00) | (p >> 16 & 0xFF)] & 0xFF) << 16
            | (table[(d & 0xFF00) | (p >> 8 & 0xFF)] & 0xFF) << 8 | (table[(d << 8 & 0xFF00) | (p & 0xFF)] & 0xFF);
      }
    }
    return px;
  }

  /**
   * {@link #blend(int, int, float)} of every (degenerate, channel) pair, at {@code [degenerate << 8 | channel]}, made
   * once per factor (RandAugment's factors are 1 &plusmn; 31 bins' values: 64 KB each at most 61 times).
   */
  private static byte[] blendTable(float alpha) {
    return BLENDS.computeIfAbsent(alpha, a -> {
      byte[] table = new byte[256 * 256];
      for (int d = 0; d < 256; d++) {
        for (int c = 0; c < 256; c++) {
          table[d << 8 | c] = (byte) blend(d, c, a);
        }
      }
      return table;
    });
  }

  private static final java.util.concurrent.ConcurrentHashMap<Float, byte[]> BLENDS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Each channel value blended with the constant {@code degenerate}: a row of the factor's table. */
  private static int[] blendRow(int degenerate, double factor) {
    byte[] table = blendTable((float) factor);
    return table(c -> table[degenerate << 8 | c] & 0xFF);
  }

  private static int blend(int degenerate, int channel, float alpha) {
    float v = degenerate + alpha * (channel - degenerate);
    return v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
  }

  /** ITU-R 601-2 luma in Pillow's fixed point, as its convert("L"). */
  private static int luma(int p) {
    return Resize.luma((p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF);
  }

  private static int[] grey(int[] px) {
    int[] out = new int[px.length];
    for (int i = 0; i < px.length; i++) {
      int l = luma(px[i]);
      out[i] = l << 16 | l << 8 | l;
    }
    return out;
  }

  private static int meanGrey(int[] px) {
    long sum = 0;
    for (int p : px) {
      sum += luma(p);
    }
    return (int) Math.round(sum / (double) Math.max(1, px.length));
  }

  /**
   * PIL's SMOOTH kernel (1 1 1 / 1 5 1 / 1 1 1, /13, rounded) inside, the border pixels kept. The three channels are
   * summed at once, in 16-bit lanes of a long (a sum is at most 13 x 255); a 3x3 sum is a vertical sum of horizontal
   * ones.
   */
  private static int[] smooth(int[] px, int w, int h) {
    int[] out = px.clone();
    if (w < 3 || h < 3) {
      return out;
    }
    long[] lanes = new long[px.length];
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      lanes[i] = (long) ((p >> 16) & 0xFF) << 32 | (p >> 8 & 0xFF) << 16 | (p & 0xFF);
    }
    long[] across = new long[px.length];
    for (int y = 0; y < h; y++) {
      for (int i = y * w + 1; i < (y + 1) * w - 1; i++) {
        across[i] = lanes[i - 1] + lanes[i] + lanes[i + 1];
      }
    }
    for (int y = 1; y < h - 1; y++) {
      for (int i = y * w + 1; i < (y + 1) * w - 1; i++) {
        long sum = across[i - w] + across[i] + across[i + w] + 4 * lanes[i];
        out[i] = ROUNDED_THIRTEENTHS[(int) (sum >>> 32)] << 16 | ROUNDED_THIRTEENTHS[(int) (sum >>> 16) & 0xFFFF] << 8
            | ROUNDED_THIRTEENTHS[(int) sum & 0xFFFF];
      }
    }
    return out;
  }

  /**
   * {@code Math.round(sum / 13.0)} for each sum of the SMOOTH kernel, 0..13 x 255. A sum over 13 never ends in a
   * half, so {@code (2 sum + 13) / 26} rounds it alike.
   */
  private static final int[] ROUNDED_THIRTEENTHS = new int[13 * 255 + 1];

  static {
    for (int sum = 0; sum < ROUNDED_THIRTEENTHS.length; sum++) {
      ROUNDED_THIRTEENTHS[sum] = (2 * sum + 13) / 26;
    }
  }

  /**
   * Each channel stretched to 0..255 from its own min..max (unchanged when flat), PIL's ImageOps.autocontrast: the
   * lookup table is {@code int(c * scale + offset)}, truncated, so the top can land on 254.
   */
  private static int[] autoContrast(int[] px) {
    int loR = 255;
    int loG = 255;
    int loB = 255;
    int hiR = 0;
    int hiG = 0;
    int hiB = 0;
    for (int p : px) {
      int r = (p >> 16) & 0xFF;
      int g = (p >> 8) & 0xFF;
      int b = p & 0xFF;
      loR = Math.min(loR, r);
      hiR = Math.max(hiR, r);
      loG = Math.min(loG, g);
      hiG = Math.max(hiG, g);
      loB = Math.min(loB, b);
      hiB = Math.max(hiB, b);
    }
    return lookup(px, new int[][] {stretch(loR, hiR), stretch(loG, hiG), stretch(loB, hiB)});
  }

  /** AutoContrast's table for a channel from {@code lo} to {@code hi}. */
  private static int[] stretch(int lo, int hi) {
    int[] lut = new int[256];
    double scale = 255.0 / (hi - lo);
    double offset = -lo * scale;
    for (int c = 0; c < 256; c++) {
      lut[c] = hi <= lo ? c : Math.max(0, Math.min(255, (int) (c * scale + offset)));
    }
    return lut;
  }

  /** Histogram equalisation per channel (PIL's ImageOps.equalize). */
  private static int[] equalize(int[] px) {
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
    return lookup(px, lut);
  }

  /** A table per channel (red, green, blue), in place. */
  private static int[] lookup(int[] px, int[][] lut) {
    for (int i = 0; i < px.length; i++) {
      int p = px[i];
      px[i] = lut[0][(p >> 16) & 0xFF] << 16 | lut[1][(p >> 8) & 0xFF] << 8 | lut[2][p & 0xFF];
    }
    return px;
  }

  /**
   * A copy of the image's packed RGB pixels, without alpha (the operations write into it). A {@code TYPE_INT_RGB}
   * image is copied from its buffer: {@code getRGB} converts pixel by pixel.
   */
  private static int[] pixels(BufferedImage image) {
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return ((DataBufferInt) image.getRaster().getDataBuffer()).getData().clone();
    }
    int[] px = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    for (int i = 0; i < px.length; i++) {
      px[i] &= 0xFFFFFF;
    }
    return px;
  }

  /** A {@code TYPE_INT_RGB} image of the packed pixels. */
  private static BufferedImage image(int[] px, int w, int h) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    System.arraycopy(px, 0, ((DataBufferInt) out.getRaster().getDataBuffer()).getData(), 0, px.length);
    return out;
  }
}
