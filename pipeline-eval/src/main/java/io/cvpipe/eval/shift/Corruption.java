package io.cvpipe.eval.shift;

import io.cvpipe.common.image.ImageFiles;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * ImageNet-C's corruption families that make sense for classification data of any kind (noise, blur, contrast,
 * brightness, pixelate, JPEG, elastic), with Hendrycks and Dietterich's formulas and severity parameters
 * (hendrycks/robustness, {@code make_imagenet_c.py}, {@code make_tinyimagenet_c.py}, {@code make_cifar_c.py}).
 * The weather and motion families (snow, frost, fog, motion and zoom blur, glass blur) are left out: they need
 * ImageNet-C's texture files or only mean something for photographs.
 *
 * <p>Differences from the reference, by design: our own random numbers (a generator seeded per sample, so a
 * corrupted copy is a pure function of (seed, sample_id, corruption, severity)); the corruption runs on the image
 * at its own size, not after ImageNet-C's resize to 256 and centre crop of 224; grey images stay grey; the result
 * is stored as PNG (lossless), where ImageNet-C re-encodes every image as a JPEG of quality 85; resampling is in
 * floating point, where PIL's BOX filter works in 8-bit fixed point.
 */
public enum Corruption {
  GAUSSIAN_NOISE("gaussian_noise", "noise",
      new double[][] {{.08}, {.12}, {.18}, {.26}, {.38}},
      new double[][] {{.04}, {.08}, {.12}, {.15}, {.18}},
      new double[][] {{.04}, {.06}, {.08}, {.09}, {.10}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      float[] v = p.values().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = clip(v[i] + (float) (rnd.nextGaussian() * c[0]));
      }
      return new Picture(v, p.height(), p.width(), p.channels());
    }
  },
  SHOT_NOISE("shot_noise", "noise",
      new double[][] {{60}, {25}, {12}, {5}, {3}},
      new double[][] {{250}, {100}, {50}, {30}, {15}},
      new double[][] {{500}, {250}, {100}, {75}, {50}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      float[] v = p.values().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = clip((float) (Poisson.sample(v[i] * c[0], rnd) / c[0]));
      }
      return new Picture(v, p.height(), p.width(), p.channels());
    }
  },
  IMPULSE_NOISE("impulse_noise", "noise",
      new double[][] {{.03}, {.06}, {.09}, {.17}, {.27}},
      new double[][] {{.01}, {.02}, {.05}, {.08}, {.14}},
      new double[][] {{.01}, {.02}, {.03}, {.05}, {.07}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      // skimage's random_noise(mode='s&p', amount=c): each value on its own, salt or pepper half and half
      float[] v = p.values().clone();
      for (int i = 0; i < v.length; i++) {
        boolean flipped = rnd.nextDouble() < c[0];
        boolean salt = rnd.nextDouble() < 0.5;
        if (flipped) {
          v[i] = salt ? 1f : 0f;
        }
      }
      return new Picture(v, p.height(), p.width(), p.channels());
    }
  },
  DEFOCUS_BLUR("defocus_blur", "blur",
      new double[][] {{3, .1}, {4, .5}, {6, .5}, {8, .5}, {10, .5}},
      new double[][] {{.5, .6}, {1, .1}, {1.5, .1}, {2.5, .01}, {3, .1}},
      new double[][] {{.3, .4}, {.4, .5}, {.5, .6}, {1, .2}, {1.5, .1}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      return Filters.correlate(p, Filters.disk(c[0], c[1]));
    }
  },
  GAUSSIAN_BLUR("gaussian_blur", "blur",
      new double[][] {{1}, {2}, {3}, {4}, {6}},
      new double[][] {{.5}, {.75}, {1}, {1.25}, {1.5}},
      new double[][] {{.4}, {.6}, {.7}, {.8}, {1}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      return Filters.gaussian(p, c[0], 4.0, Filters.Border.NEAREST);
    }
  },
  CONTRAST("contrast", "digital",
      new double[][] {{.4}, {.3}, {.2}, {.1}, {.05}},
      new double[][] {{.4}, {.3}, {.2}, {.1}, {.05}},
      new double[][] {{.75}, {.5}, {.4}, {.3}, {.15}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      // per channel: (x - mean) * c + mean
      int n = p.height() * p.width();
      int ch = p.channels();
      double[] mean = new double[ch];
      float[] v = p.values().clone();
      for (int i = 0; i < v.length; i++) {
        mean[i % ch] += v[i];
      }
      for (int k = 0; k < ch; k++) {
        mean[k] /= n;
      }
      for (int i = 0; i < v.length; i++) {
        v[i] = clip((float) ((v[i] - mean[i % ch]) * c[0] + mean[i % ch]));
      }
      return new Picture(v, p.height(), p.width(), ch);
    }
  },
  BRIGHTNESS("brightness", "weather",
      new double[][] {{.1}, {.2}, {.3}, {.4}, {.5}},
      new double[][] {{.1}, {.2}, {.3}, {.4}, {.5}},
      new double[][] {{.05}, {.1}, {.15}, {.2}, {.3}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      // HSV's value + c with hue and saturation kept: hsv2rgb is linear in V, so RGB scales by V' / V (grey: +c)
      float[] v = p.values().clone();
      int ch = p.channels();
      for (int i = 0; i < v.length; i += ch) {
        float value = 0;
        for (int k = 0; k < ch; k++) {
          value = Math.max(value, v[i + k]);
        }
        float raised = clip((float) (value + c[0]));
        for (int k = 0; k < ch; k++) {
          v[i + k] = value == 0 ? raised : clip(v[i + k] * raised / value);
        }
      }
      return new Picture(v, p.height(), p.width(), ch);
    }
  },
  PIXELATE("pixelate", "digital",
      new double[][] {{.6}, {.5}, {.4}, {.3}, {.25}},
      new double[][] {{.9}, {.8}, {.7}, {.6}, {.5}},
      new double[][] {{.95}, {.9}, {.85}, {.75}, {.65}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      int h = Math.max(1, (int) (p.height() * c[0]));
      int w = Math.max(1, (int) (p.width() * c[0]));
      return Filters.boxResize(Filters.boxResize(p, h, w), p.height(), p.width());
    }
  },
  JPEG_COMPRESSION("jpeg_compression", "digital",
      new double[][] {{25}, {18}, {15}, {10}, {7}},
      new double[][] {{65}, {58}, {50}, {40}, {25}},
      new double[][] {{80}, {65}, {58}, {50}, {40}}) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      throw new UnsupportedOperationException("jpeg_compression is its encoding: see encode()");
    }

    @Override
    Encoded encode(Picture p, double[] c, RandomGenerator rnd) {
      return new Encoded(ImageFiles.jpeg(p.image(), (float) (c[0] / 100)), "jpeg");
    }
  },
  ELASTIC_TRANSFORM("elastic_transform", "digital",
      times(244, new double[][] {{2, .7, .1}, {2, .08, .2}, {.05, .01, .02}, {.07, .01, .02}, {.12, .01, .02}}),
      times(64, new double[][] {{0, 0, .08}, {.05, .3, .06}, {.1, .08, .06}, {.1, .03, .03}, {.16, .03, .02}}),
      times(32, new double[][] {{0, 0, .08}, {.05, .2, .07}, {.08, .06, .06}, {.1, .04, .05}, {.1, .03, .03}})) {
    @Override
    Picture corrupt(Picture p, double[] c, RandomGenerator rnd) {
      return Filters.elastic(p, c[0], c[1], c[2], rnd);
    }
  };

  /** Which of ImageNet-C's parameter tables a corruption uses: they are tuned to an image size. */
  public enum Scale {
    /** ImageNet-C, for 224x224 images. */
    IMAGENET("imagenet-c"),
    /** Tiny-ImageNet-C and ImageNet-64x64-C, for 64x64 images. */
    TINY("tiny-imagenet-c"),
    /** CIFAR-10-C, for 32x32 images. */
    CIFAR("cifar-10-c");

    private final String code;

    Scale(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    /** The table made for the size closest to this image's shorter side (on a log scale). */
    public static Scale nearest(int height, int width) {
      int side = Math.min(height, width);
      return side <= 45 ? CIFAR : side <= 120 ? TINY : IMAGENET;
    }
  }

  /** A corrupted image's file bytes and their format (jpeg or png). */
  public record Encoded(byte[] bytes, String format) {}

  private final String code;
  private final String family;
  private final double[][][] parameters; // by Scale ordinal, severity - 1

  Corruption(String code, String family, double[][] imagenet, double[][] tiny, double[][] cifar) {
    this.code = code;
    this.family = family;
    this.parameters = new double[][][] {imagenet, tiny, cifar};
  }

  /** ImageNet-C's name, e.g. {@code gaussian_noise}. */
  public String code() {
    return code;
  }

  /** ImageNet-C's family: noise, blur, weather or digital. */
  public String family() {
    return family;
  }

  /** The corruption's parameters at a severity from 1 to 5, from the scale's table. */
  public double[] parameters(Scale scale, int severity) {
    if (severity < 1 || severity > 5) {
      throw new IllegalArgumentException("severity " + severity + " is not 1 to 5");
    }
    return parameters[scale.ordinal()][severity - 1].clone();
  }

  public static Corruption named(String code) {
    for (Corruption c : values()) {
      if (c.code.equals(code)) {
        return c;
      }
    }
    return null;
  }

  /** The corrupted pixels. */
  abstract Picture corrupt(Picture picture, double[] c, RandomGenerator rnd);

  /** The corrupted image as a file: PNG of the corrupted pixels (the JPEG corruption: its own JPEG). */
  Encoded encode(Picture picture, double[] c, RandomGenerator rnd) {
    return new Encoded(ImageFiles.png(corrupt(picture, c, rnd).image()), "png");
  }

  /** {@code table} with every value multiplied by {@code size} (ImageNet-C's elastic parameters are in pixels). */
  private static double[][] times(double size, double[][] table) {
    return Arrays.stream(table).map(row -> Arrays.stream(row).map(v -> v * size).toArray()).toArray(double[][]::new);
  }

  static float clip(float v) {
    return v < 0f ? 0f : v > 1f ? 1f : v;
  }

  @Override
  public String toString() {
    return code;
  }
}
