package io.cvpipe.common.augment;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Crop, resize and mirror of an image into 8-bit HWC samples, as torchvision's {@code RandomResizedCrop} and
 * {@code RandomHorizontalFlip} do it on PIL images: the crop is cut first (the filter never reads outside it), then
 * resized with PIL's bilinear filter, a triangle that widens by the shrink factor when the output is smaller (so
 * shrinking averages the pixels it covers instead of skipping some), then mirrored. Separable, rows then columns,
 * each rounded to 8 bits, in PIL's fixed-point arithmetic, so the levels are PIL's own. One channel is grey (PIL's
 * {@code convert("L")} of an RGB source, before resizing), three are RGB (a grey source repeated).
 *
 * <p>Decoders' usual layouts (8-bit grey, interleaved RGB or BGR bytes with or without alpha, packed RGB ints) are
 * read straight from their buffers; anything else through {@link BufferedImage#getRGB} or, for grey of other
 * depths, its raster's samples scaled to 8 bits.
 */
final class Resize {

  private Resize() {}

  /** Receives the output one row at a time, as fixed-point sums to {@link #level} (reused between rows). */
  interface RowSink {
    void row(int y, int[] sums, int length);
  }

  /** Buffers a loader thread reuses from one image to the next. */
  private static final class Scratch {
    int[] line = new int[0];
    int[] sums = new int[0];
    int[][] columns = new int[0][];
    int[][] narrowedRows = new int[0][];
    /** Filters by (input size, output size), unmirrored: crops repeat their sizes, and building taps is not free. */
    final Map<Long, Taps> taps = new HashMap<>();
    /** Ints the kept filters hold, so that large images' filters do not grow the map without bound. */
    long tapsInts;

    Taps taps(int in, int out) {
      long key = (long) in << 32 | out;
      Taps found = taps.get(key);
      if (found == null) {
        found = new Taps(in, out);
        long ints = found.weight.length + 2L * out;
        if (tapsInts + ints > MAX_TAPS_INTS) {
          taps.clear();
          tapsInts = 0;
        }
        taps.put(key, found);
        tapsInts += ints;
      }
      return found;
    }

    /** At least {@code count} arrays of at least {@code length} in {@code arrays} (grown in place). */
    static int[][] arrays(int[][] arrays, int count, int length) {
      int[][] out = arrays.length < count ? Arrays.copyOf(arrays, count) : arrays;
      for (int i = 0; i < count; i++) {
        if (out[i] == null || out[i].length < length) {
          out[i] = new int[length];
        }
      }
      return out;
    }
  }

  /** Ints of filters a thread keeps (4 MB): hundreds of sizes of crops hundreds of pixels across. */
  private static final long MAX_TAPS_INTS = 1 << 20;

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** Crop rows filtered at a time: bounds the per-thread buffers for large images. */
  private static final int BAND = 64;

  /** {@code height x width x channels} samples of the box of {@code image}, mirrored when the box says so. */
  static byte[] crop(BufferedImage image, CropBox box, int height, int width, int channels) {
    byte[] out = new byte[height * width * channels];
    resize(image, box, height, width, channels, (y, sums, length) -> {
      int at = y * length;
      for (int i = 0; i < length; i++) {
        out[at + i] = (byte) level(sums[i]);
      }
    });
    return out;
  }

  /** The rows of {@link #crop}'s output, in order, to {@code sink}. */
  static void resize(BufferedImage image, CropBox box, int height, int width, int channels, RowSink sink) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), not " + channels);
    }
    if (box.height() <= 0 || box.width() <= 0 || height <= 0 || width <= 0) {
      throw new IllegalArgumentException("cannot resize a " + box.height() + "x" + box.width() + " crop to "
          + height + "x" + width);
    }
    Rows rows = Rows.of(image);
    Scratch scratch = SCRATCH.get();
    Taps across = scratch.taps(box.width(), width);
    Taps down = scratch.taps(box.height(), height);
    int rowLength = width * channels;
    int band = Math.min(BAND, box.height());
    int[][] columns = scratch.columns = Scratch.arrays(scratch.columns, box.width(), band * channels);
    int[][] narrowed = scratch.narrowedRows = Scratch.arrays(scratch.narrowedRows, box.height(), rowLength);
    int[] line = scratch.line = grow(scratch.line, box.width() * channels);
    int[] sums = scratch.sums = grow(scratch.sums, Math.max(rowLength, band * channels));

    // rows, a band of them at a time: the band one array per crop column, so that the filter runs along arrays at
    // the same index (which the JIT turns into SIMD), each output column a weighted sum of crop columns (mirrored
    // if asked) rounded to 8 bits as it is written back into the rows
    for (int top = 0; top < box.height(); top += band) {
      int bandRows = Math.min(band, box.height() - top);
      int columnLength = bandRows * channels;
      rows.columns(box.top() + top, bandRows, box.left(), box.width(), channels, columns, line);
      for (int o = 0; o < width; o++) {
        weigh(columns, across, box.flip() ? width - 1 - o : o, sums, columnLength); // mirrored: the opposite taps
        for (int y = 0, i = 0; y < bandRows; y++) {
          int[] row = narrowed[top + y];
          for (int c = 0, at = o * channels; c < channels; c++) {
            row[at + c] = level(sums[i++]);
          }
        }
      }
    }

    // columns: each output row a weighted sum of narrowed rows
    for (int o = 0; o < height; o++) {
      weigh(narrowed, down, o, sums, rowLength);
      sink.row(o, sums, rowLength);
    }
  }

  /** {@code sums[0 .. length)}: output {@code o}'s taps over {@code lines}, in fixed point from one half. */
  private static void weigh(int[][] lines, Taps taps, int o, int[] sums, int length) {
    int first = taps.first[o];
    int at = o * taps.span;
    int[] line = lines[first];
    int w = taps.weight[at];
    for (int i = 0; i < length; i++) {
      sums[i] = HALF + w * line[i];
    }
    for (int k = 1; k < taps.count[o]; k++) {
      line = lines[first + k];
      w = taps.weight[at + k];
      for (int i = 0; i < length; i++) {
        sums[i] += w * line[i];
      }
    }
  }

  private static int[] grow(int[] buffer, int length) {
    return buffer.length >= length ? buffer : new int[length];
  }

  /** PIL's fixed point: weights are integers of {@value #PRECISION} fractional bits, sums start at one half. */
  private static final int PRECISION = 22;
  private static final int HALF = 1 << (PRECISION - 1);

  /** A fixed-point sum rounded to its 8-bit level. */
  static int level(int fixed) {
    return Math.min(Math.max(fixed >> PRECISION, 0), 255);
  }

  private static int clamp(int i, int size) {
    return i < 0 ? 0 : Math.min(i, size - 1);
  }

  /**
   * One axis's filter: output {@code o} is the weighted sum of inputs {@code first[o] .. first[o] + count[o] - 1}
   * (crop coordinates), weights normalised to 1 then fixed point, as PIL's {@code precompute_coeffs} and
   * {@code normalize_coeffs_8bpc} for its bilinear filter; zero weights at either end are left out (they add
   * nothing). A mirrored output {@code o} takes the taps of output {@code out - 1 - o}.
   */
  static final class Taps {
    final int[] first;
    final int[] count;
    final int[] weight;
    final int span;

    Taps(int in, int out) {
      double scale = (double) in / out;
      double widen = Math.max(scale, 1.0);
      double support = widen; // the triangle's support is 1, widened when shrinking
      this.span = (int) Math.ceil(support) * 2 + 1;
      this.first = new int[out];
      this.count = new int[out];
      this.weight = new int[out * span];
      double[] w = new double[span];
      int[] fixed = new int[span];
      for (int o = 0; o < out; o++) {
        double centre = (o + 0.5) * scale;
        int lo = Math.max((int) (centre - support + 0.5), 0);
        int hi = Math.min((int) (centre + support + 0.5), in);
        int n = Math.min(hi - lo, span);
        double total = 0;
        for (int k = 0; k < n; k++) {
          double x = Math.abs((lo + k - centre + 0.5) / widen);
          w[k] = x < 1 ? 1 - x : 0;
          total += w[k];
        }
        for (int k = 0; k < n; k++) {
          fixed[k] = (int) ((total == 0 ? 0 : w[k] / total) * (1 << PRECISION) + 0.5);
        }
        int from = 0;
        int to = n;
        while (to - from > 1 && fixed[from] == 0) {
          from++;
        }
        while (to - from > 1 && fixed[to - 1] == 0) {
          to--;
        }
        first[o] = lo + from;
        count[o] = to - from;
        System.arraycopy(fixed, from, weight, o * span, to - from);
      }
    }
  }

  /** Reads rows of an image as 8-bit grey or RGB samples, whatever its layout. */
  private abstract static class Rows {
    final int imageWidth;
    final int imageHeight;
    /** Samples per pixel this layout reads natively: 1 (grey) or 3 (RGB). */
    final int colours;
    private int[] scratch = new int[0];

    Rows(BufferedImage image, boolean grey) {
      this.imageWidth = image.getWidth();
      this.imageHeight = image.getHeight();
      this.colours = grey ? 1 : 3;
    }

    /** Pixels {@code x0 .. x0 + n - 1} of row {@code y}, inside the image, {@link #colours} samples each. */
    abstract void native8(int y, int x0, int n, int[] dst);

    /**
     * {@code n} pixels from {@code x0} of row {@code y} into {@code dst}, {@code channels} samples each; columns
     * outside the image repeat its edge.
     */
    final void read(int y, int x0, int n, int channels, int[] dst) {
      if (x0 >= 0 && x0 + n <= imageWidth && channels == colours) {
        native8(y, x0, n, dst);
        return;
      }
      if (scratch.length < imageWidth * colours) {
        scratch = new int[imageWidth * colours];
      }
      native8(y, 0, imageWidth, scratch);
      for (int i = 0; i < n; i++) {
        int from = clamp(x0 + i, imageWidth) * colours;
        if (colours == channels) {
          System.arraycopy(scratch, from, dst, i * channels, channels);
        } else if (channels == 3) {
          dst[i * 3] = dst[i * 3 + 1] = dst[i * 3 + 2] = scratch[from];
        } else {
          dst[i] = luma(scratch[from], scratch[from + 1], scratch[from + 2]);
        }
      }
    }

    /**
     * Rows {@code y0 .. y0 + rows - 1} of pixels {@code x0 .. x0 + n - 1}, turned into columns:
     * {@code columns[x][y * channels + c]}. Rows and columns outside the image repeat its edge.
     */
    void columns(int y0, int rows, int x0, int n, int channels, int[][] columns, int[] line) {
      for (int y = 0; y < rows; y++) {
        read(clamp(y0 + y, imageHeight), x0, n, channels, line);
        for (int x = 0, i = 0; x < n; x++) {
          int[] column = columns[x];
          for (int c = 0; c < channels; c++) {
            column[y * channels + c] = line[i++];
          }
        }
      }
    }

    static Rows of(BufferedImage image) {
      ColorModel model = image.getColorModel();
      Raster raster = image.getRaster();
      SampleModel layout = raster.getSampleModel();
      boolean grey = grey(image);
      boolean standard = model.getColorSpace().isCS_sRGB() || grey;
      int bands = (grey ? 1 : 3) + (model.hasAlpha() ? 1 : 0);
      if (standard && layout instanceof ComponentSampleModel components && layout.getNumBands() == bands
          && raster.getDataBuffer() instanceof DataBufferByte bytes && bytes.getNumBanks() == 1
          && eightBits(layout)) {
        return new Interleaved(image, components, bytes, grey);
      }
      if (model instanceof DirectColorModel direct && direct.getColorSpace().isCS_sRGB()
          && layout instanceof SinglePixelPackedSampleModel packed
          && raster.getDataBuffer() instanceof DataBufferInt ints && ints.getNumBanks() == 1
          && direct.getRedMask() == 0xFF0000 && direct.getGreenMask() == 0xFF00 && direct.getBlueMask() == 0xFF) {
        return new PackedRgb(image, packed, ints);
      }
      return grey ? new OtherGrey(image) : new OtherColour(image);
    }
  }

  private static boolean eightBits(SampleModel layout) {
    for (int size : layout.getSampleSize()) {
      if (size != 8) {
        return false;
      }
    }
    return true;
  }

  /** Whether the image is grey (one colour sample a pixel, whatever its layout and depth). */
  static boolean grey(BufferedImage image) {
    return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
  }

  /** PIL's {@code convert("L")}: ITU-R 601-2 luma (0.299 R + 0.587 G + 0.114 B) in its 16-bit fixed point. */
  static int luma(int r, int g, int b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }

  /** 8-bit samples in one byte array, one pixel's bands together (grey, RGB, BGR, with or without alpha). */
  private static final class Interleaved extends Rows {
    private final byte[] data;
    private final int base;
    private final int scanline;
    private final int pixelStride;
    private final int[] bandOffsets;

    Interleaved(BufferedImage image, ComponentSampleModel layout, DataBufferByte bytes, boolean grey) {
      super(image, grey);
      Raster raster = image.getRaster();
      this.data = bytes.getData();
      this.scanline = layout.getScanlineStride();
      this.pixelStride = layout.getPixelStride();
      this.bandOffsets = layout.getBandOffsets();
      this.base = bytes.getOffset() - raster.getSampleModelTranslateY() * scanline
          - raster.getSampleModelTranslateX() * pixelStride;
    }

    @Override
    void native8(int y, int x0, int n, int[] dst) {
      int p = base + y * scanline + x0 * pixelStride;
      if (colours == 1) {
        int b = p + bandOffsets[0];
        for (int i = 0; i < n; i++, b += pixelStride) {
          dst[i] = data[b] & 0xFF;
        }
        return;
      }
      int r = bandOffsets[0];
      int g = bandOffsets[1];
      int b = bandOffsets[2];
      for (int i = 0, j = 0; i < n; i++, j += 3, p += pixelStride) {
        dst[j] = data[p + r] & 0xFF;
        dst[j + 1] = data[p + g] & 0xFF;
        dst[j + 2] = data[p + b] & 0xFF;
      }
    }

    /** Straight from the buffer inside the image, down each column: no row copy, no second pass to transpose. */
    @Override
    void columns(int y0, int rows, int x0, int n, int channels, int[][] columns, int[] line) {
      if (channels != colours || x0 < 0 || x0 + n > imageWidth || y0 < 0 || y0 + rows > imageHeight) {
        super.columns(y0, rows, x0, n, channels, columns, line);
        return;
      }
      int start = base + y0 * scanline + x0 * pixelStride;
      if (colours == 1) {
        int band = bandOffsets[0];
        for (int x = 0; x < n; x++) {
          int[] column = columns[x];
          for (int y = 0, p = start + x * pixelStride + band; y < rows; y++, p += scanline) {
            column[y] = data[p] & 0xFF;
          }
        }
        return;
      }
      int r = bandOffsets[0];
      int g = bandOffsets[1];
      int b = bandOffsets[2];
      for (int x = 0; x < n; x++) {
        int[] column = columns[x];
        for (int y = 0, j = 0, p = start + x * pixelStride; y < rows; y++, j += 3, p += scanline) {
          column[j] = data[p + r] & 0xFF;
          column[j + 1] = data[p + g] & 0xFF;
          column[j + 2] = data[p + b] & 0xFF;
        }
      }
    }
  }

  /** 8-bit RGB packed in ints ({@code TYPE_INT_RGB}, {@code TYPE_INT_ARGB}). */
  private static final class PackedRgb extends Rows {
    private final int[] data;
    private final int base;
    private final int scanline;

    PackedRgb(BufferedImage image, SinglePixelPackedSampleModel layout, DataBufferInt ints) {
      super(image, false);
      Raster raster = image.getRaster();
      this.data = ints.getData();
      this.scanline = layout.getScanlineStride();
      this.base = ints.getOffset() - raster.getSampleModelTranslateY() * scanline - raster.getSampleModelTranslateX();
    }

    @Override
    void native8(int y, int x0, int n, int[] dst) {
      int p = base + y * scanline + x0;
      for (int i = 0, j = 0; i < n; i++, j += 3) {
        int rgb = data[p + i];
        dst[j] = (rgb >> 16) & 0xFF;
        dst[j + 1] = (rgb >> 8) & 0xFF;
        dst[j + 2] = rgb & 0xFF;
      }
    }
  }

  /** Grey of another depth (16-bit PNGs): the raster's samples scaled to 8 bits. */
  private static final class OtherGrey extends Rows {
    private final Raster raster;
    private final int max;

    OtherGrey(BufferedImage image) {
      super(image, true);
      this.raster = image.getRaster();
      this.max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
    }

    @Override
    void native8(int y, int x0, int n, int[] dst) {
      raster.getSamples(raster.getMinX() + x0, raster.getMinY() + y, n, 1, 0, dst);
      for (int i = 0; i < n; i++) {
        dst[i] = (int) ((dst[i] * 255L + max / 2) / max);
      }
    }
  }

  /** Any other colour image (palettes, other colour spaces, other depths), through its colour model's sRGB. */
  private static final class OtherColour extends Rows {
    private final BufferedImage image;
    private int[] line = new int[0];

    OtherColour(BufferedImage image) {
      super(image, false);
      this.image = image;
    }

    @Override
    void native8(int y, int x0, int n, int[] dst) {
      if (line.length < n) {
        line = new int[n];
      }
      image.getRGB(x0, y, n, 1, line, 0, n);
      for (int i = 0, j = 0; i < n; i++, j += 3) {
        dst[j] = (line[i] >> 16) & 0xFF;
        dst[j + 1] = (line[i] >> 8) & 0xFF;
        dst[j + 2] = line[i] & 0xFF;
      }
    }
  }
}
