package io.cvpipe.common.augment;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestAugment {

  @Test
  void randomResizedCropStaysInsideWithinScaleAndRatio() {
    Random random = new Random(3);
    int flips = 0;
    for (int i = 0; i < 2000; i++) {
      CropBox box = RandomResizedCrop.IMAGENET.draw(350, 400, random);
      assertThat(box.top()).isBetween(0, 350 - box.height());
      assertThat(box.left()).isBetween(0, 400 - box.width());
      double fraction = (double) box.height() * box.width() / (350 * 400);
      assertThat(fraction).isBetween(0.07, 1.0);
      flips += box.flip() ? 1 : 0;
    }
    assertThat(flips).isBetween(900, 1100);
  }

  @Test
  void sameSeedSameBox() {
    assertThat(RandomResizedCrop.IMAGENET.draw(100, 200, new Random(9)))
        .isEqualTo(RandomResizedCrop.IMAGENET.draw(100, 200, new Random(9)));
  }

  @Test
  void centreCropIsTheCvnetsValidationView() {
    // 256x256 then centre 224: from a 512 x 512 source that is the centre 448 x 448
    assertThat(RandomResizedCrop.centre(512, 512, 224, RandomResizedCrop.CROP_FRACTION))
        .isEqualTo(new CropBox(32, 32, 448, 448, false));
  }

  @Test
  void centreCropOfTheWholeShorterSide() {
    // fraction 1: a square image entire, a landscape one its centred square
    assertThat(RandomResizedCrop.centre(28, 28, 28, 1.0)).isEqualTo(new CropBox(0, 0, 28, 28, false));
    assertThat(RandomResizedCrop.centre(28, 28, 28, 0.875)).isEqualTo(new CropBox(1, 1, 25, 25, false));
    assertThat(RandomResizedCrop.centre(48, 64, 32, 1.0)).isEqualTo(new CropBox(0, 8, 48, 48, false));
  }

  @Test
  void renderNormalisesAndMirrors() throws Exception {
    BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xFFFFFF); // white top-left, black elsewhere
    float[] plain = new float[4 * 2 * 3];
    float[] mirrored = new float[4 * 2 * 3];
    float[] zero = {0, 0, 0};
    float[] one = {1, 1, 1};

    Pixels.render(image, new CropBox(0, 0, 2, 4, false), 2, 4, 3, zero, one, plain, 0);
    Pixels.render(image, new CropBox(0, 0, 2, 4, true), 2, 4, 3, zero, one, mirrored, 0);

    assertThat(plain[0]).isEqualTo(1f);
    assertThat(plain[3 * 3]).isEqualTo(0f);
    assertThat(mirrored[3 * 3]).isEqualTo(1f);
    assertThat(mirrored[0]).isEqualTo(0f);
    byte[] jpeg = SyntheticImages.jpeg(SyntheticImages.shape(0, 64, 48, new Random(1)), 0.9f);
    float[] out = new float[32 * 32 * 3];
    Pixels.render(Pixels.decode(jpeg), RandomResizedCrop.centre(48, 64, 32, RandomResizedCrop.CROP_FRACTION), 32, 32, 3,
        Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD, out, 0);
    for (float v : out) {
      assertThat(v).isBetween(-2.2f, 2.7f); // (0 - 0.485) / 0.229 .. (1 - 0.406) / 0.225
    }
  }
}
