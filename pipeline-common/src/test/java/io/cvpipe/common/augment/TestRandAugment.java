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
    assertThat(new Applied(Op.CONTRAST, 9).value(1, 1)).isCloseTo(0.27, within(1e-12));
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
        .containsExactly(127, 64, 255); // x 1.27, clipped
    assertThat(rgb(RandAugment.apply(flat(4, 4, 90, 90, 90), new Applied(Op.COLOR, -9)), 3, 3))
        .containsExactly(90, 90, 90); // grey stays grey
    BufferedImage twoTone = flat(4, 2, 50, 50, 50);
    twoTone.setRGB(0, 0, 150 << 16 | 150 << 8 | 150);
    assertThat(rgb(RandAugment.apply(twoTone, new Applied(Op.AUTO_CONTRAST, 0)), 0, 0)).containsExactly(255, 255, 255);
    assertThat(rgb(RandAugment.apply(twoTone, new Applied(Op.AUTO_CONTRAST, 0)), 1, 0)).containsExactly(0, 0, 0);
    BufferedImage marked = flat(20, 10, 0, 0, 0);
    marked.setRGB(2, 5, 0xFFFFFF);
    BufferedImage moved = RandAugment.apply(marked, new Applied(Op.TRANSLATE_X, 9)); // 150/331 x 20 x 0.3 = 2.7 -> 3
    assertThat(rgb(moved, 5, 5)).containsExactly(255, 255, 255);
    assertThat(rgb(moved, 2, 5)).containsExactly(0, 0, 0);
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
