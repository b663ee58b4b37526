package io.cvpipe.eval.shift;

import java.util.random.RandomGenerator;

/** The image filters ImageNet-C's corruptions are made of, in floating point, each with its library's border rule. */
final class Filters {

  private Filters() {}

  /** How a filter reads outside the image, named as scipy names them. */
  enum Border {
    /** a a | a b c (scipy nearest, skimage's gaussian default). */
    NEAREST,
    /** b a | a b c (scipy reflect: half-sample symmetric). */
    REFLECT,
    /** c b | a b c (scipy mirror, OpenCV's BORDER_REFLECT_101 default). */
    MIRROR;

    int index(int i, int n) {
      if (n == 1) {
        return 0;
      }
      while (i < 0 || i >= n) {
        switch (this) {
          case NEAREST -> i = i < 0 ? 0 : n - 1;
          case REFLECT -> i = i < 0 ? -i - 1 : 2 * n - i - 1;
          case MIRROR -> i = i < 0 ? -i : 2 * n - i - 2;
        }
      }
      return i;
    }
  }

  /** 2-D correlation of every channel with a square kernel (OpenCV's filter2D, BORDER_REFLECT_101). */
  static Picture correlate(Picture p, double[][] kernel) {
    int r = kernel.length / 2;
    int h = p.height();
    int w = p.width();
    int ch = p.channels();
    Picture out = Picture.blank(h, w, ch);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int k = 0; k < ch; k++) {
          double sum = 0;
          for (int dy = -r; dy <= r; dy++) {
            int sy = Border.MIRROR.index(y + dy, h);
            for (int dx = -r; dx <= r; dx++) {
              sum += kernel[dy + r][dx + r] * p.at(sy, Border.MIRROR.index(x + dx, w), k);
            }
          }
          out.values()[(y * w + x) * ch + k] = Corruption.clip((float) sum);
        }
      }
    }
    return out;
  }

  /**
   * ImageNet-C's {@code disk}: the pixels within {@code radius} of the centre on a grid of half-width 8 (or the
   * radius when larger), normalised, then smoothed by OpenCV's Gaussian blur of 3x3 (5x5 past radius 8) with
   * sigma {@code aliasBlur}.
   */
  static double[][] disk(double radius, double aliasBlur) {
    int half = radius <= 8 ? 8 : (int) radius;
    int size = 2 * half + 1;
    double[][] disk = new double[size][size];
    double total = 0;
    for (int y = -half; y <= half; y++) {
      for (int x = -half; x <= half; x++) {
        if (x * x + y * y <= radius * radius) {
          disk[y + half][x + half] = 1;
          total++;
        }
      }
    }
    double[] g = openCvGaussian(radius <= 8 ? 3 : 5, aliasBlur);
    int gr = g.length / 2;
    double[][] out = new double[size][size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        double sum = 0;
        for (int dy = -gr; dy <= gr; dy++) {
          for (int dx = -gr; dx <= gr; dx++) {
            sum += g[dy + gr] * g[dx + gr] * disk[Border.MIRROR.index(y + dy, size)][Border.MIRROR.index(x + dx, size)];
          }
        }
        out[y][x] = sum / total;
      }
    }
    return out;
  }

  /** OpenCV's getGaussianKernel(size, sigma): exp(-x^2 / (2 sigma^2)), normalised. */
  private static double[] openCvGaussian(int size, double sigma) {
    return normalised(size / 2, sigma);
  }

  private static double[] normalised(int radius, double sigma) {
    double[] k = new double[2 * radius + 1];
    double total = 0;
    for (int i = -radius; i <= radius; i++) {
      k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
      total += k[i + radius];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= total;
    }
    return k;
  }

  /** scipy's gaussian_filter over the two image axes (not across channels): radius int(truncate sigma + 0.5). */
  static Picture gaussian(Picture p, double sigma, double truncate, Border border) {
    double[] k = normalised((int) (truncate * sigma + 0.5), sigma);
    return separable(p, k, border);
  }

  private static Picture separable(Picture p, double[] k, Border border) {
    int r = k.length / 2;
    int h = p.height();
    int w = p.width();
    int ch = p.channels();
    float[] rows = new float[p.values().length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < ch; c++) {
          double sum = 0;
          for (int d = -r; d <= r; d++) {
            sum += k[d + r] * p.at(border.index(y + d, h), x, c);
          }
          rows[(y * w + x) * ch + c] = (float) sum;
        }
      }
    }
    Picture across = new Picture(rows, h, w, ch);
    Picture out = Picture.blank(h, w, ch);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < ch; c++) {
          double sum = 0;
          for (int d = -r; d <= r; d++) {
            sum += k[d + r] * across.at(y, border.index(x + d, w), c);
          }
          out.values()[(y * w + x) * ch + c] = (float) sum;
        }
      }
    }
    return out;
  }

  /** A one-channel field blurred as skimage's gaussian(field, sigma, mode='reflect', truncate=3) does. */
  static float[] blurredField(float[] field, int h, int w, double sigma) {
    if (sigma <= 0) {
      return field;
    }
    return gaussian(new Picture(field, h, w, 1), sigma, 3.0, Border.REFLECT).values();
  }

  /**
   * PIL's resize with the BOX filter: each output pixel averages the input pixels its footprint covers,
   * weighted by how much of each it covers (upscaling: the input pixel under its centre).
   */
  static Picture boxResize(Picture p, int height, int width) {
    Picture across = resizeAxis(p, width, true);
    return resizeAxis(across, height, false);
  }

  private static Picture resizeAxis(Picture p, int size, boolean horizontal) {
    int in = horizontal ? p.width() : p.height();
    int h = horizontal ? p.height() : size;
    int w = horizontal ? size : p.width();
    int ch = p.channels();
    Picture out = Picture.blank(h, w, ch);
    double scale = (double) in / size;
    double filterScale = Math.max(scale, 1.0);
    double support = 0.5 * filterScale;
    for (int o = 0; o < size; o++) {
      // PIL's precompute_coeffs with box_filter(x) = 1 for -0.5 < x <= 0.5
      double centre = (o + 0.5) * scale;
      int min = Math.max((int) (centre - support + 0.5), 0);
      int max = Math.min((int) (centre + support + 0.5), in);
      double[] weights = new double[max - min];
      double total = 0;
      for (int i = min; i < max; i++) {
        double x = (i - centre + 0.5) / filterScale;
        weights[i - min] = x > -0.5 && x <= 0.5 ? 1 : 0;
        total += weights[i - min];
      }
      for (int a = 0; a < (horizontal ? h : w); a++) {
        for (int c = 0; c < ch; c++) {
          double sum = 0;
          for (int i = min; i < max; i++) {
            sum += weights[i - min] * (horizontal ? p.at(a, i, c) : p.at(i, a, c));
          }
          float v = (float) (total == 0 ? 0 : sum / total);
          if (horizontal) {
            out.values()[(a * w + o) * ch + c] = v;
          } else {
            out.values()[(o * w + a) * ch + c] = v;
          }
        }
      }
    }
    return out;
  }

  /**
   * ImageNet-C's elastic_transform: a random affine warp (three points moved by up to {@code affine} pixels,
   * OpenCV's bilinear warpAffine, BORDER_REFLECT_101), then every pixel displaced by smooth random fields (uniform
   * noise in [-1, 1] blurred with {@code sigma}, times {@code alpha}; x first, then y), sampled bilinearly with
   * scipy's reflect border.
   */
  static Picture elastic(Picture p, double alpha, double sigma, double affine, RandomGenerator rnd) {
    int h = p.height();
    int w = p.width();
    int ch = p.channels();
    // cv2.getAffineTransform(pts1, pts2), pts1 around the centre at a third of the shorter side
    double cy = h / 2;
    double cx = w / 2;
    double s = Math.min(h, w) / 3;
    double[][] from = {{cy + s, cx + s}, {cy + s, cx - s}, {cy - s, cx - s}};
    double[][] to = new double[3][2];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2; j++) {
        to[i][j] = from[i][j] + (rnd.nextDouble() * 2 - 1) * affine;
      }
    }
    // ImageNet-C's points are (x, y) pairs built from (cs[0], cs[1]) = (h/2, w/2): keep its order
    double[] m = affine(from, to);
    double[] inverse = invert(m);
    Picture warped = Picture.blank(h, w, ch);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double sx = inverse[0] * x + inverse[1] * y + inverse[2];
        double sy = inverse[3] * x + inverse[4] * y + inverse[5];
        for (int c = 0; c < ch; c++) {
          warped.values()[(y * w + x) * ch + c] = bilinear(p, sy, sx, c, Border.MIRROR);
        }
      }
    }
    float[] dx = new float[h * w];
    float[] dy = new float[h * w];
    for (int i = 0; i < dx.length; i++) {
      dx[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    for (int i = 0; i < dy.length; i++) {
      dy[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    dx = blurredField(dx, h, w, sigma);
    dy = blurredField(dy, h, w, sigma);
    Picture out = Picture.blank(h, w, ch);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double sy = y + dy[y * w + x] * alpha;
        double sx = x + dx[y * w + x] * alpha;
        for (int c = 0; c < ch; c++) {
          out.values()[(y * w + x) * ch + c] = Corruption.clip(bilinear(warped, sy, sx, c, Border.REFLECT));
        }
      }
    }
    return out;
  }

  private static float bilinear(Picture p, double y, double x, int c, Border border) {
    int y0 = (int) Math.floor(y);
    int x0 = (int) Math.floor(x);
    double fy = y - y0;
    double fx = x - x0;
    int h = p.height();
    int w = p.width();
    int ya = border.index(y0, h);
    int yb = border.index(y0 + 1, h);
    int xa = border.index(x0, w);
    int xb = border.index(x0 + 1, w);
    return (float) ((1 - fy) * ((1 - fx) * p.at(ya, xa, c) + fx * p.at(ya, xb, c))
        + fy * ((1 - fx) * p.at(yb, xa, c) + fx * p.at(yb, xb, c)));
  }

  /** The 2x3 matrix [a b c; d e f] that maps each of three points (x, y) in {@code from} onto {@code to}. */
  static double[] affine(double[][] from, double[][] to) {
    double[][] a = {
        {from[0][0], from[0][1], 1}, {from[1][0], from[1][1], 1}, {from[2][0], from[2][1], 1}};
    double det = det3(a);
    double[] m = new double[6];
    for (int row = 0; row < 2; row++) {
      double[] rhs = {to[0][row], to[1][row], to[2][row]};
      for (int col = 0; col < 3; col++) {
        double[][] replaced = {a[0].clone(), a[1].clone(), a[2].clone()};
        for (int i = 0; i < 3; i++) {
          replaced[i][col] = rhs[i];
        }
        m[row * 3 + col] = det3(replaced) / det; // Cramer's rule
      }
    }
    return m;
  }

  private static double det3(double[][] a) {
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  }

  private static double[] invert(double[] m) {
    double det = m[0] * m[4] - m[1] * m[3];
    double a = m[4] / det;
    double b = -m[1] / det;
    double d = -m[3] / det;
    double e = m[0] / det;
    return new double[] {a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])};
  }
}
