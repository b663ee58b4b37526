package io.cvpipe.eval.shift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.common.augment.Pixels;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each corruption against values computed by hand from ImageNet-C's formulas, and their randomness. */
class TestCorruptions {

  private static Picture grey(int h, int w, float... values) {
    return new Picture(values, h, w, 1);
  }

  private static Picture uniform(int h, int w, int channels, float value) {
    Picture p = Picture.blank(h, w, channels);
    java.util.Arrays.fill(p.values(), value);
    return p;
  }

  @Test
  void contrastScalesEachChannelAroundItsMean() {
    Picture p = grey(2, 2, 0f, 0.2f, 0.4f, 0.6f);

    Picture out = Corruption.CONTRAST.corrupt(p, Corruption.CONTRAST.parameters(Corruption.Scale.CIFAR, 1), null);

    // mean 0.3, c = 0.75 (CIFAR-10-C severity 1): (x - 0.3) * 0.75 + 0.3
    assertThat(out.values()).containsExactly(new float[] {0.075f, 0.225f, 0.375f, 0.525f}, within(1e-6f));
  }

  @Test
  void brightnessRaisesHsvValueKeepingHueAndSaturation() {
    Picture p = new Picture(new float[] {0.2f, 0.4f, 0.1f, 0f, 0f, 0f, 0.9f, 0.9f, 0.9f}, 1, 3, 3);

    Picture out = Corruption.BRIGHTNESS.corrupt(p, new double[] {0.2}, null);

    // V 0.4 -> 0.6 with H and S kept: every channel times 1.5; black becomes grey 0.2; V 0.9 clips at 1
    assertThat(out.values()).containsExactly(new float[] {0.3f, 0.6f, 0.15f, 0.2f, 0.2f, 0.2f, 1f, 1f, 1f},
        within(1e-6f));
  }

  @Test
  void gaussianNoiseHasTheSeveritysStandardDeviation() {
    Picture p = uniform(100, 100, 1, 0.5f);

    Picture out = Corruption.GAUSSIAN_NOISE.corrupt(p, new double[] {0.08}, new SplittableRandom(1));

    double sum = 0;
    double squares = 0;
    for (float v : out.values()) {
      sum += v - 0.5;
      squares += (v - 0.5) * (v - 0.5);
    }
    int n = out.values().length;
    assertThat(sum / n).isCloseTo(0, within(0.003));
    assertThat(Math.sqrt(squares / n)).isCloseTo(0.08, within(0.002));
  }

  @Test
  void impulseNoiseFlipsTheSeveritysShareToBlackOrWhite() {
    Picture p = uniform(100, 100, 3, 0.5f);

    Picture out = Corruption.IMPULSE_NOISE.corrupt(p, new double[] {0.1}, new SplittableRandom(2));

    int salt = 0;
    int pepper = 0;
    for (float v : out.values()) {
      salt += v == 1f ? 1 : 0;
      pepper += v == 0f ? 1 : 0;
      assertThat(v).isIn(0f, 0.5f, 1f);
    }
    assertThat(salt / 30000.0).isCloseTo(0.05, within(0.006));
    assertThat(pepper / 30000.0).isCloseTo(0.05, within(0.006));
  }

  @Test
  void poissonDrawsHaveTheirMeanAsMeanAndVariance() {
    for (double mean : new double[] {3, 25, 500}) {
      SplittableRandom rnd = new SplittableRandom(3);
      int n = 40_000;
      double sum = 0;
      double squares = 0;
      for (int i = 0; i < n; i++) {
        long k = Poisson.sample(mean, rnd);
        sum += k;
        squares += (double) k * k;
      }
      double m = sum / n;
      assertThat(m).as("mean of Poisson(%s)", mean).isCloseTo(mean, within(0.02 * mean));
      assertThat(squares / n - m * m).as("variance of Poisson(%s)", mean).isCloseTo(mean, within(0.05 * mean));
    }
    assertThat(Poisson.logGamma(5)).isCloseTo(Math.log(24), within(1e-9));
    assertThat(Poisson.logGamma(1)).isCloseTo(0, within(1e-9));
    assertThat(Poisson.logGamma(30.5)).isCloseTo(72.9534711841694, within(1e-9)); // Python's math.lgamma(30.5)
  }

  @Test
  void defocusDiskOfASubPixelRadiusIsOpenCvsThreeByThreeGaussian() {
    double[][] disk = Filters.disk(0.3, 0.4);

    // only the centre is within 0.3; cv2.GaussianBlur 3x3, sigma 0.4: weights exp(-1 / 0.32) beside 1
    double side = Math.exp(-1 / 0.32);
    double centre = 1 / (1 + 2 * side);
    assertThat(disk).hasNumberOfRows(17);
    assertThat(disk[8][8]).isCloseTo(centre * centre, within(1e-12));
    assertThat(disk[8][9]).isCloseTo(centre * side * centre, within(1e-12));
    assertThat(disk[7][9]).isCloseTo(side * centre * side * centre, within(1e-12));
    assertThat(disk[8][10]).isZero();
    double total = 0;
    for (double[] row : disk) {
      for (double v : row) {
        total += v;
      }
    }
    assertThat(total).isCloseTo(1, within(1e-12));
  }

  @Test
  void gaussianBlurSpreadsAPointBySigmaWithinFourSigmas() {
    Picture p = Picture.blank(21, 21, 1);
    p.values()[10 * 21 + 10] = 1;

    Picture out = Corruption.GAUSSIAN_BLUR.corrupt(p, new double[] {1}, null);

    double total = 0;
    for (int i = -4; i <= 4; i++) {
      total += Math.exp(-0.5 * i * i);
    }
    assertThat(out.at(10, 10, 0)).isCloseTo((float) (1 / (total * total)), within(1e-6f));
    assertThat(out.at(10, 14, 0)).isCloseTo((float) (Math.exp(-8) / (total * total)), within(1e-9f));
    assertThat(out.at(10, 15, 0)).isZero();
  }

  @Test
  void pixelateAveragesBlocksAndScalesThemBack() {
    Picture p = grey(4, 4, 0f, 0.2f, 0.4f, 0.4f, 0.2f, 0.2f, 0.4f, 0.4f, 1f, 1f, 0f, 0f, 1f, 0.6f, 0f, 0f);

    Picture out = Corruption.PIXELATE.corrupt(p, new double[] {0.5}, null);

    // 2x2 box averages, then each spread back over its 2x2 block
    assertThat(out.values()).containsExactly(new float[] {0.15f, 0.15f, 0.4f, 0.4f, 0.15f, 0.15f, 0.4f, 0.4f,
        0.9f, 0.9f, 0f, 0f, 0.9f, 0.9f, 0f, 0f}, within(1e-6f));
  }

  @Test
  void jpegCompressionStoresAJpegOfTheSeveritysQuality() throws Exception {
    Picture p = TestCorruptions.uniform(32, 48, 3, 0.5f);

    Corruption.Encoded low = Corruption.JPEG_COMPRESSION.encode(p, new double[] {7}, null);
    Corruption.Encoded high = Corruption.JPEG_COMPRESSION.encode(p, new double[] {80}, null);

    assertThat(low.format()).isEqualTo("jpeg");
    BufferedImage decoded = Pixels.decode(low.bytes());
    assertThat(decoded.getWidth()).isEqualTo(48);
    assertThat(decoded.getHeight()).isEqualTo(32);
    // the quantisation tables scale with the quality: quality 7's are coarser (the files differ in DQT bytes)
    assertThat(low.bytes()).isNotEqualTo(high.bytes());
  }

  @Test
  void elasticTransformMovesPixelsSmoothlyAndOnlyBySeed() {
    Picture p = Picture.blank(32, 32, 1);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        p.values()[y * 32 + x] = x / 31f;
      }
    }
    double[] c = Corruption.ELASTIC_TRANSFORM.parameters(Corruption.Scale.CIFAR, 3);

    Picture a = Corruption.ELASTIC_TRANSFORM.corrupt(p, c, new SplittableRandom(5));
    Picture again = Corruption.ELASTIC_TRANSFORM.corrupt(p, c, new SplittableRandom(5));
    Picture other = Corruption.ELASTIC_TRANSFORM.corrupt(p, c, new SplittableRandom(6));

    assertThat(c).containsExactly(0.08 * 32, 0.06 * 32, 0.06 * 32);
    assertThat(a.values()).containsExactly(again.values());
    assertThat(a.values()).isNotEqualTo(other.values());
    // a horizontal ramp displaced by at most the affine noise and alpha: values move, but not far
    double moved = 0;
    for (int i = 0; i < a.values().length; i++) {
      moved += Math.abs(a.values()[i] - p.values()[i]);
      assertThat(Math.abs(a.values()[i] - p.values()[i])).isLessThan(0.25f);
    }
    assertThat(moved / a.values().length).isGreaterThan(0.002);
  }

  @Test
  void affineTransformMapsTheThreePoints() {
    double[][] from = {{10, 10}, {10, 2}, {2, 2}};
    double[][] to = {{11, 9}, {10.5, 2}, {2, 2.5}};

    double[] m = Filters.affine(from, to);

    for (int i = 0; i < 3; i++) {
      assertThat(m[0] * from[i][0] + m[1] * from[i][1] + m[2]).isCloseTo(to[i][0], within(1e-9));
      assertThat(m[3] * from[i][0] + m[4] * from[i][1] + m[5]).isCloseTo(to[i][1], within(1e-9));
    }
  }

  @Test
  void scaleFollowsTheShorterSideAndCopiesAreSeededPerCorruptionAndSeverity() {
    assertThat(Corruption.Scale.nearest(28, 28)).isEqualTo(Corruption.Scale.CIFAR);
    assertThat(Corruption.Scale.nearest(64, 80)).isEqualTo(Corruption.Scale.TINY);
    assertThat(Corruption.Scale.nearest(375, 500)).isEqualTo(Corruption.Scale.IMAGENET);
    long base = ShiftJob.seed(0, 42, Corruption.GAUSSIAN_NOISE, 1);
    assertThat(ShiftJob.seed(0, 42, Corruption.GAUSSIAN_NOISE, 1)).isEqualTo(base);
    assertThat(ShiftJob.seed(0, 42, Corruption.GAUSSIAN_NOISE, 2)).isNotEqualTo(base);
    assertThat(ShiftJob.seed(0, 42, Corruption.SHOT_NOISE, 1)).isNotEqualTo(base);
    assertThat(ShiftJob.seed(1, 42, Corruption.GAUSSIAN_NOISE, 1)).isNotEqualTo(base);
    assertThat(ShiftJob.seed(0, 43, Corruption.GAUSSIAN_NOISE, 1)).isNotEqualTo(base);
  }

  @Test
  void severitiesAreRangesOrListsFromOneToFive() {
    assertThat(ShiftSettings.severities(java.util.List.of())).containsExactly(1, 2, 3, 4, 5);
    assertThat(ShiftSettings.severities(java.util.List.of("3"))).containsExactly(3);
    assertThat(ShiftSettings.severities(java.util.List.of("5", "1..2"))).containsExactly(1, 2, 5);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ShiftSettings.severities(java.util.List.of("0..3")))
        .hasMessageContaining("shift.severity").hasMessageContaining("'0..3' is not a severity from 1 to 5");
  }
}
