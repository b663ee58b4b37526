package io.cvpipe.common.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.common.augment.RandAugment.Applied;
import io.cvpipe.common.augment.RandAugment.Op;
import java.awt.image.BufferedImage;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestRandAugment {

  /** A w x h RGB image whose every pixel is (r, g, b). */
  private static BufferedImage flat(int w, int h, int r, int g, int b) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    return image;
  }

  private static int[] rgb(BufferedImage image, int x, int y) {
    int p = image.getRGB(x, y);
    return new int[] {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
  }

  @Test
  void drawsTwoOfFourteenOpsAtTheMagnitudeWithRandomSignsAndIsAFunctionOfTheSeed() {
    Set<Op> seen = EnumSet.noneOf(Op.class);
    boolean negative = false;
    for (int seed = 0; seed < 300; seed++) {
      Applied[] ops = RandAugment.draw(new Random(seed), 2, 9);
      assertThat(ops).hasSize(2).containsExactly(RandAugment.draw(new Random(seed), 2, 9));
      for (Applied a : ops) {
        seen.add(a.op());
        assertThat(Math.abs(a.signedBin())).isEqualTo(9);
        negative |= a.signedBin() < 0;
        assertThat(a.signedBin() < 0 && !a.op().signed()).isFalse();
      }
    }
    assertThat(seen).hasSize(14);
    assertThat(negative).isTrue();
  }

  @Test
  void valuesAtMagnitudeNineAreTorchvisionsLinspaceEntries() {
    // torchvision: linspace(0, max, 31)[9] = max * 9 / 30
    assertThat(new Applied(Op.SHEAR_X, 9).value(224, 224)).isCloseTo(0.09, within(1e-12));
    assertThat(new Applied(Op.TRANSLATE_X, -9).value(100, 331)).isCloseTo(-45.0, within(1e-9));
    assertThat(new Applied(Op.ROTATE, 9).value(1, 1)).isCloseTo(9.0, within(1e-12));
    assertThat(new Applied(Op.CONTRAST, 9).value(1, 1)).as("a float32, as torch's linspace")
        .isEqualTo(0.26999998092651367); // torch.linspace(0, 0.9, 31)[9] as float32, not 0.27f
    assertThat(new Applied(Op.POSTERIZE, 9).value(1, 1)).isEqualTo(7.0); // 8 - round(9 / 7.5)
    assertThat(new Applied(Op.SOLARIZE, 9).value(1, 1)).isCloseTo(178.5, within(1e-9)); // linspace(255, 0, 31)[9]
    assertThatThrownBy(() -> new Applied(Op.SOLARIZE, -9)).hasMessageContaining("SOLARIZE at bin -9");
  }

  @Test
  void pixelOpsDoWhatTheyShould() {
    assertThat(rgb(RandAugment.apply(flat(4, 4, 200, 100, 0), new Applied(Op.SOLARIZE, 9)), 1, 1))
        .containsExactly(55, 100, 0); // 200 >= 178.5 inverted
    assertThat(rgb(RandAugment.apply(flat(4, 4, 255, 3, 128), new Applied(Op.POSTERIZE, 9)), 0, 0))
        .containsExactly(254, 2, 128); // 7 bits
    assertThat(rgb(RandAugment.apply(flat(4, 4, 100, 50, 250), new Applied(Op.BRIGHTNESS, 9)), 2, 2))
        .containsExactly(127, 63, 255); // x 1.27 in single precision, truncated (50 x 1.27 = 63.49...), clipped
    assertThat(rgb(RandAugment.apply(flat(4, 4, 90, 90, 90), new Applied(Op.COLOR, -9)), 3, 3))
        .containsExactly(90, 90, 90); // grey stays grey
    BufferedImage twoTone = flat(4, 2, 50, 50, 50);
    twoTone.setRGB(0, 0, 150 << 16 | 150 << 8 | 150);
    assertThat(rgb(RandAugment.apply(twoTone, new Applied(Op.AUTO_CONTRAST, 0)), 0, 0)).containsExactly(255, 255, 255);
    assertThat(rgb(RandAugment.apply(twoTone, new Applied(Op.AUTO_CONTRAST, 0)), 1, 0)).containsExactly(0, 0, 0);
    BufferedImage marked = flat(20, 10, 0, 0, 0);
    marked.setRGB(2, 5, 0xFFFFFF);
    BufferedImage moved = RandAugment.apply(marked, new Applied(Op.TRANSLATE_X, 9)); // int(150/331 x 20 x 0.3 = 2.7) = 2
    assertThat(rgb(moved, 4, 5)).containsExactly(255, 255, 255);
    assertThat(rgb(moved, 2, 5)).containsExactly(0, 0, 0);
  }

  /** 7 x 5 pixels that say where they are: red 30 x + 10, green 40 y + 10, blue 200. */
  private static BufferedImage grid() {
    BufferedImage image = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 5; y++) {
      for (int x = 0; x < 7; x++) {
        image.setRGB(x, y, (30 * x + 10) << 16 | (40 * y + 10) << 8 | 200);
      }
    }
    return image;
  }

  /** Which grid pixel (x, y) an output pixel holds, or null for the fill. */
  private static int[] source(BufferedImage out, int x, int y) {
    int[] c = rgb(out, x, y);
    return c[2] == 0 ? null : new int[] {(c[0] - 10) / 30, (c[1] - 10) / 40};
  }

  private static BufferedImage row(int... rgb) {
    BufferedImage image = new BufferedImage(rgb.length / 3, 1, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < rgb.length / 3; i++) {
      image.setRGB(i, 0, rgb[3 * i] << 16 | rgb[3 * i + 1] << 8 | rgb[3 * i + 2]);
    }
    return image;
  }

  /**
   * What torchvision 0.14's RandAugment ops make of a PIL image (Pillow 9.4, NEAREST, fill 0), from its formulas and
   * checked against its output: the shears sample (x + m y, y) and (x, y + m x) at pixel centres, translations are
   * whole pixels truncated toward zero, rotation turns counter-clockwise about the centre, AutoContrast truncates,
   * the enhancements blend in single precision and truncate, grey is Pillow's fixed-point luma.
   */
  @Test
  void opsMakeTorchvisionsPixels() {
    // ShearX 0.3: out(0, 2) samples x = floor(0.5 + 0.3 x 2.5) = 1; out(6, 2) samples x = 7: outside, fill
    BufferedImage shearX = RandAugment.apply(grid(), new Applied(Op.SHEAR_X, 30));
    assertThat(source(shearX, 0, 2)).containsExactly(1, 2);
    assertThat(source(shearX, 0, 1)).containsExactly(0, 1);
    assertThat(source(shearX, 6, 2)).isNull();
    // ShearY 0.3: out(5, 0) samples y = floor(0.5 + 0.3 x 5.5) = 2
    BufferedImage shearY = RandAugment.apply(grid(), new Applied(Op.SHEAR_Y, 30));
    assertThat(source(shearY, 2, 0)).containsExactly(2, 1);
    assertThat(source(shearY, 5, 0)).containsExactly(5, 2);
    assertThat(source(shearY, 5, 3)).isNull();
    // TranslateX at bin 28 on 7 pixels: int(150 / 331 x 7 x 28 / 30) = int(2.96) = 2 to the right
    BufferedImage right = RandAugment.apply(grid(), new Applied(Op.TRANSLATE_X, 28));
    assertThat(new Applied(Op.TRANSLATE_X, 28).value(5, 7)).isEqualTo(2.0);
    assertThat(source(right, 2, 3)).containsExactly(0, 3);
    assertThat(source(right, 1, 3)).isNull();
    // TranslateY at bin -20 on 5 pixels: int(-1.51) = -1, up
    BufferedImage up = RandAugment.apply(grid(), new Applied(Op.TRANSLATE_Y, -20));
    assertThat(source(up, 3, 0)).containsExactly(3, 1);
    assertThat(source(up, 3, 4)).isNull();
    assertThat(new Applied(Op.TRANSLATE_X, 11).value(1, 331)).as("int(150 x 11 / 30) = 55, not 54").isEqualTo(55.0);
    // Rotate 30 degrees: Pillow's cos and sin rounded to 15 decimals put out(3, 1) exactly on x = 4.0
    BufferedImage turned = RandAugment.apply(grid(), new Applied(Op.ROTATE, 30));
    int[][] row1 = {{1, 0}, {2, 0}, {3, 1}, {4, 1}, {4, 2}, {5, 2}, {6, 3}};
    int[][] row2 = {{0, 1}, {1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}};
    for (int x = 0; x < 7; x++) {
      assertThat(source(turned, x, 1)).as("row 1, x %d", x).containsExactly(row1[x]);
      assertThat(source(turned, x, 2)).as("row 2, x %d", x).containsExactly(row2[x]);
    }
    assertThat(source(turned, 0, 0)).isNull();

    // AutoContrast: red from 10..200 to 0..255 as int(c x 255 / 190 - 10 x 255 / 190); green and blue are flat
    BufferedImage contrast = RandAugment.apply(row(10, 7, 7, 11, 7, 7, 57, 7, 7, 100, 7, 7, 199, 7, 7, 200, 7, 7),
        new Applied(Op.AUTO_CONTRAST, 0));
    int[] expected = {0, 1, 63, 120, 253, 255};
    for (int i = 0; i < expected.length; i++) {
      assertThat(rgb(contrast, i, 0)).containsExactly(expected[i], 7, 7);
    }
    BufferedImage low = RandAugment.apply(row(0, 0, 0, 10, 10, 10, 24, 24, 24, 25, 25, 25),
        new Applied(Op.AUTO_CONTRAST, 0));
    assertThat(rgb(low, 1, 0)).containsExactly(102, 102, 102);
    assertThat(rgb(low, 2, 0)).containsExactly(244, 244, 244);
    assertThat(rgb(low, 3, 0)).as("25 x 10.2 = 254.99999...: the top lands on 254").containsExactly(254, 254, 254);

    BufferedImage bright = RandAugment.apply(row(57, 13, 201, 100, 57, 3), new Applied(Op.BRIGHTNESS, 9));
    assertThat(rgb(bright, 0, 0)).containsExactly(72, 16, 255);
    assertThat(rgb(bright, 1, 0)).containsExactly(127, 72, 3);
    assertThat(rgb(RandAugment.apply(row(57, 13, 201), new Applied(Op.BRIGHTNESS, -9)), 0, 0))
        .containsExactly(41, 9, 146);
    // grey of (0, 0, 250) is (250 x 7471 + 32768) >> 16 = 28; 28 + 0.1 x (c - 28)
    assertThat(rgb(RandAugment.apply(row(0, 0, 250), new Applied(Op.COLOR, -30)), 0, 0)).containsExactly(25, 25, 50);
    // Contrast: the mean of the luma (0 and 100: 50) is the degenerate grey; 50 + 1.27 x (c - 50), truncated
    BufferedImage contrasted = RandAugment.apply(row(0, 0, 0, 100, 100, 100), new Applied(Op.CONTRAST, 9));
    assertThat(rgb(contrasted, 0, 0)).containsExactly(0, 0, 0); // -13.5, clipped
    assertThat(rgb(contrasted, 1, 0)).containsExactly(113, 113, 113); // 113.4999...
    // Sharpness at bin -9 (factor 0.73): the centre blends with PIL's SMOOTH of it, (8 neighbours + 5 x centre) / 13
    // rounded; the border is kept. Red: centre 130, neighbours 0: 650 / 13 = 50, 50 + 0.73 x 80 = 108.4. Green:
    // centre 0, one neighbour 47: 47 / 13 = 3.6 rounds to 4 (not 3), 4 - 0.73 x 4 = 1.08.
    BufferedImage blurred = flat(3, 3, 0, 0, 0);
    blurred.setRGB(1, 1, 130 << 16);
    blurred.setRGB(0, 2, 47 << 8);
    BufferedImage sharpened = RandAugment.apply(blurred, new Applied(Op.SHARPNESS, -9));
    assertThat(rgb(sharpened, 1, 1)).containsExactly(108, 1, 0);
    assertThat(rgb(sharpened, 0, 2)).containsExactly(0, 47, 0);
    assertThat(rgb(sharpened, 2, 0)).containsExactly(0, 0, 0);
    // Solarize at bin 8: threshold 255 - 8.5 x 8 = 187 exactly
    BufferedImage solarized = RandAugment.apply(row(187, 170, 85, 57, 13, 201), new Applied(Op.SOLARIZE, 8));
    assertThat(rgb(solarized, 0, 0)).containsExactly(68, 170, 85);
    assertThat(rgb(solarized, 1, 0)).containsExactly(57, 13, 54);
  }

  @Test
  void everyOpKeepsTheSizeAndReplaysToTheSamePixels() {
    Random random = new Random(4);
    BufferedImage image = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 23; y++) {
      for (int x = 0; x < 37; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    for (Op op : Op.values()) {
      Applied a = new Applied(op, op.signed() ? -9 : 9);
      BufferedImage once = RandAugment.apply(image, a);
      BufferedImage again = RandAugment.apply(image, a);
      assertThat(once.getWidth()).isEqualTo(37);
      assertThat(once.getHeight()).isEqualTo(23);
      assertThat(once.getRGB(0, 0, 37, 23, null, 0, 37)).as(op.name()).containsExactly(again.getRGB(0, 0, 37, 23, null, 0, 37));
    }
  }
}
