package io.cvpipe.common.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import org.junit.jupiter.api.Test;

class TestResize {

  /** A 1-row grey image of these levels, as TYPE_BYTE_GRAY samples (no colour conversion). */
  private static BufferedImage greyRow(int... levels) {
    BufferedImage image = new BufferedImage(levels.length, 1, BufferedImage.TYPE_BYTE_GRAY);
    for (int x = 0; x < levels.length; x++) {
      image.getRaster().setSample(x, 0, 0, levels[x]);
    }
    return image;
  }

  private static int[] levels(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xFF;
    }
    return out;
  }

  private static int[] row(BufferedImage image, CropBox box, int width) {
    return levels(Resize.crop(image, box, 1, width, 1));
  }

  @Test
  void aGreyImageCroppedToRgbIsTheSameImageStoredAsRgb() {
    // Pixels.crop resizes a grey image's one channel and repeats it; the general path resizes three equal channels
    BufferedImage grey = new BufferedImage(13, 11, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage rgb = new BufferedImage(13, 11, BufferedImage.TYPE_INT_RGB);
    java.util.Random random = new java.util.Random(7);
    for (int y = 0; y < 11; y++) {
      for (int x = 0; x < 13; x++) {
        int level = random.nextInt(256);
        grey.getRaster().setSample(x, y, 0, level);
        rgb.getRaster().setPixel(x, y, new int[] {level, level, level});
      }
    }
    for (CropBox box : new CropBox[] {new CropBox(0, 0, 11, 13, false), new CropBox(2, 3, 7, 9, true),
        new CropBox(-1, 4, 12, 5, false)}) {
      for (int[] size : new int[][] {{5, 6}, {11, 13}, {20, 17}}) {
        BufferedImage fast = Pixels.crop(grey, box, size[0], size[1], 3);
        BufferedImage general = Pixels.crop(rgb, box, size[0], size[1], 3);
        assertThat(fast.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(fast.getRGB(0, 0, size[1], size[0], null, 0, size[1]))
            .as("box %s to %dx%d", box, size[0], size[1])
            .containsExactly(general.getRGB(0, 0, size[1], size[0], null, 0, size[1]));
      }
    }
  }

  @Test
  void theSameSizeIsACopy() {
    BufferedImage image = greyRow(3, 200, 17, 255, 0);
    assertThat(row(image, new CropBox(0, 0, 1, 5, false), 5)).containsExactly(3, 200, 17, 255, 0);
    assertThat(row(image, new CropBox(0, 0, 1, 5, true), 5)).containsExactly(0, 255, 17, 200, 3);
  }

  @Test
  void growingInterpolatesBetweenPixelCentresAndHoldsTheEdges() {
    // PIL's bilinear, 2 -> 4: output centres at 0.25, 0.75, 1.25, 1.75 input pixels; taps within 1 pixel, the
    // window cut at the edges: 0; 0.75*0 + 0.25*100; 0.25*0 + 0.75*100; 100
    assertThat(row(greyRow(0, 100), new CropBox(0, 0, 1, 2, false), 4)).containsExactly(0, 25, 75, 100);
  }

  @Test
  void shrinkingAveragesOverTheWidenedTriangle() {
    // 4 -> 2, scale 2: the triangle's support widens to 2 input pixels. Output 0, centre 1: inputs 0, 1, 2 with
    // weights 0.75, 0.75, 0.25 (sum 1.75): (0 + 30 + 20) / 1.75 = 28.57 -> 29. Output 1, centre 3: inputs 1, 2, 3,
    // weights 0.25, 0.75, 0.75: (10 + 60 + 90) / 1.75 = 91.43 -> 91. (Plain bilinear would give 20 and 100.)
    assertThat(row(greyRow(0, 40, 80, 120), new CropBox(0, 0, 1, 4, false), 2)).containsExactly(29, 91);
    // the crop is cut first: pixels beside the box never reach the filter
    assertThat(row(greyRow(255, 0, 40, 80, 120, 255), new CropBox(0, 1, 1, 4, false), 2)).containsExactly(29, 91);
    assertThat(row(greyRow(255, 0, 40, 80, 120, 255), new CropBox(0, 1, 1, 4, true), 2)).containsExactly(91, 29);
  }

  @Test
  void twoDimensionsGiveWhatPilGives() {
    // levels (37 x + 91 y) mod 256 on 8x6; PIL 9.4 (Debian's python3-pil):
    // Image.fromarray(a).crop((2, 1, 8, 6)).resize((4, 3) and (4, 9), Image.BILINEAR)
    BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        image.getRaster().setSample(x, y, 0, (x * 37 + y * 91) % 256);
      }
    }
    CropBox box = new CropBox(1, 2, 5, 6, false);
    assertThat(levels(Resize.crop(image, box, 3, 4, 1)))
        .containsExactly(108, 144, 84, 119, 105, 119, 153, 116, 102, 80, 97, 149);
    assertThat(levels(Resize.crop(image, box, 9, 4, 1))).containsExactly(179, 202, 57, 80, 124, 157, 78, 110, 32, 81,
        112, 161, 54, 106, 159, 140, 105, 157, 210, 102, 156, 113, 118, 99, 178, 78, 55, 107, 86, 81, 106, 158, 31, 83,
        136, 188);
  }

  @Test
  void aCropTallerThanOneBandOfRowsGivesWhatPilGives() {
    // 3x150, levels (7 y + 50 x + (y^2 mod 13)) mod 256, shrunk to 3x40: rows are filtered 64 at a time
    BufferedImage image = new BufferedImage(3, 150, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 150; y++) {
      for (int x = 0; x < 3; x++) {
        image.getRaster().setSample(x, y, 0, (y * 7 + x * 50 + (y * y) % 13) % 256);
      }
    }
    // PIL 9.4: Image.fromarray(a).resize((3, 40), Image.BILINEAR)
    assertThat(levels(Resize.crop(image, new CropBox(0, 0, 150, 3, false), 40, 3, 1))).containsExactly(15, 65, 115, 45,
        95, 145, 70, 120, 170, 91, 141, 191, 121, 171, 221, 150, 200, 148, 171, 221, 15, 197, 172, 41, 229, 29, 73, 151,
        47, 97, 19, 69, 119, 49, 99, 149, 78, 128, 178, 99, 149, 199, 125, 175, 225, 157, 207, 120, 180, 230, 24, 202,
        150, 46, 222, 27, 77, 67, 56, 106, 26, 76, 126, 53, 103, 153, 85, 135, 185, 108, 158, 208, 130, 180, 228, 161,
        211, 93, 189, 228, 33, 210, 65, 54, 214, 31, 81, 53, 62, 112, 35, 85, 135, 58, 108, 158, 89, 139, 189, 116, 166,
        216, 137, 187, 226, 166, 216, 71, 196, 184, 40, 218, 24, 62, 201, 36, 86, 41, 65, 115);
  }

  @Test
  void rowsAndColumnsAreFilteredAlike() {
    // a 4x1 column shrunk to 2x1 gives the row's figures
    BufferedImage column = new BufferedImage(1, 4, BufferedImage.TYPE_BYTE_GRAY);
    int[] levels = {0, 40, 80, 120};
    for (int y = 0; y < 4; y++) {
      column.getRaster().setSample(0, y, 0, levels[y]);
    }
    assertThat(levels(Resize.crop(column, new CropBox(0, 0, 4, 1, false), 2, 1, 1))).containsExactly(29, 91);
  }

  @Test
  void colourToGreyIsPilsLuma() {
    BufferedImage image = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xFF0000);
    image.setRGB(1, 0, 0x00FF00);
    image.setRGB(2, 0, 0x0000FF);
    // L = R * 299/1000 + G * 587/1000 + B * 114/1000: 76.2, 149.7, 29.1, as PIL's convert("L") gives
    assertThat(row(image, new CropBox(0, 0, 1, 3, false), 3)).containsExactly(76, 150, 29);
    // and grey to colour repeats the level
    assertThat(levels(Resize.crop(greyRow(7, 9), new CropBox(0, 0, 1, 2, false), 1, 2, 3)))
        .containsExactly(7, 7, 7, 9, 9, 9);
  }

  @Test
  void everyDecoderLayoutReadsTheSamePixels() {
    // levels that are also colours of the default 6x6x6 palette (multiples of 51), so TYPE_BYTE_INDEXED keeps them
    int w = 7;
    int h = 5;
    int[][] rgb = new int[h * w][];
    for (int i = 0; i < h * w; i++) {
      rgb[i] = new int[] {(i * 51) % 306 % 255, (i * 102) % 306 % 255, (255 - (i * 51) % 306 % 255)};
    }
    int[] types = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_3BYTE_BGR,
        BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_BYTE_INDEXED};
    CropBox box = new CropBox(1, 2, 4, 5, true);
    byte[] first = null;
    for (int type : types) {
      BufferedImage image = new BufferedImage(w, h, type);
      for (int i = 0; i < h * w; i++) {
        int[] p = rgb[i];
        image.setRGB(i % w, i / w, 0xFF000000 | p[0] << 16 | p[1] << 8 | p[2]);
      }
      byte[] out = Resize.crop(image, box, 3, 8, 3);
      if (first == null) {
        first = out;
      }
      assertThat(out).as("image type " + type).containsExactly(first);
      // a sub-image is read from its own origin inside the parent's buffer
      BufferedImage parent = new BufferedImage(w + 3, h + 2, type);
      for (int i = 0; i < h * w; i++) {
        parent.setRGB(3 + i % w, 2 + i / w, image.getRGB(i % w, i / w));
      }
      assertThat(Resize.crop(parent.getSubimage(3, 2, w, h), box, 3, 8, 3)).as("sub-image of type " + type)
          .containsExactly(first);
    }

    // grey: 8-bit and 16-bit samples, and the same levels as RGB, give the same grey and the same colour
    BufferedImage grey8 = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage grey16 = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
    BufferedImage greyRgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    WritableRaster r8 = grey8.getRaster();
    WritableRaster r16 = grey16.getRaster();
    for (int i = 0; i < h * w; i++) {
      int level = (i * 37) % 256;
      r8.setSample(i % w, i / w, 0, level);
      r16.setSample(i % w, i / w, 0, level * 257 + (level % 2 == 0 ? 60 : -60)); // within half a level of it
      greyRgb.setRGB(i % w, i / w, level * 0x010101);
    }
    for (int channels : new int[] {1, 3}) {
      byte[] expected = Resize.crop(greyRgb, box, 6, 4, channels);
      assertThat(Resize.crop(grey8, box, 6, 4, channels)).as("8-bit grey, " + channels).containsExactly(expected);
      assertThat(Resize.crop(grey16, box, 6, 4, channels)).as("16-bit grey, " + channels).containsExactly(expected);
    }
  }

  @Test
  void aBoxReachingOutsideTheImageRepeatsItsEdgesOnEachLayout() {
    int w = 6;
    int h = 5;
    int pad = 3;
    // the image inside an edge-replicated border: a box shifted by the border reads the same samples
    BufferedImage padded = new BufferedImage(w + 2 * pad, h + 2 * pad, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h + 2 * pad; y++) {
      for (int x = 0; x < w + 2 * pad; x++) {
        int sx = Math.min(Math.max(x - pad, 0), w - 1);
        int sy = Math.min(Math.max(y - pad, 0), h - 1);
        padded.setRGB(x, y, (sx * 40) << 16 | (sy * 50) << 8 | ((sx * 7 + sy * 31) % 256));
      }
    }
    // past every side at once, then one side at a time (top, left, right, bottom), then inside
    CropBox[] boxes = {new CropBox(-2, -3, 9, 11, false), new CropBox(-1, 1, 4, 3, false),
        new CropBox(1, -2, 3, 4, true), new CropBox(1, 3, 3, 5, false), new CropBox(2, 1, 5, 3, false),
        new CropBox(1, 1, 3, 4, true)};
    for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB,
        BufferedImage.TYPE_BYTE_GRAY}) {
      BufferedImage image = new BufferedImage(w, h, type);
      image.getGraphics().drawImage(padded.getSubimage(pad, pad, w, h), 0, 0, null);
      // the same pixels as a sub-image of a larger buffer, whose neighbours must not leak in
      BufferedImage parent = new BufferedImage(w + 4, h + 4, type);
      parent.getGraphics().drawImage(padded, 2 - pad, 2 - pad, null);
      BufferedImage sub = parent.getSubimage(2, 2, w, h);
      BufferedImage reference = new BufferedImage(w + 2 * pad, h + 2 * pad, type);
      reference.getGraphics().drawImage(padded, 0, 0, null);
      for (CropBox box : boxes) {
        CropBox inside = new CropBox(box.top() + pad, box.left() + pad, box.height(), box.width(), box.flip());
        for (int channels : new int[] {1, 3}) {
          byte[] expected = Resize.crop(reference, inside, 7, 5, channels);
          assertThat(Resize.crop(image, box, 7, 5, channels)).as(box + " on type " + type + ", " + channels)
              .containsExactly(expected);
          assertThat(Resize.crop(sub, box, 7, 5, channels)).as(box + " on a sub-image of type " + type + ", " + channels)
              .containsExactly(expected);
        }
      }
    }
  }

  @Test
  void renderFollowsEachCallsNormalisation() {
    BufferedImage image = new BufferedImage(5, 4, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 5; x++) {
        image.setRGB(x, y, (x * 50) << 16 | (y * 60) << 8 | ((x + y) * 30));
      }
    }
    CropBox box = new CropBox(0, 1, 4, 4, false);
    float[] mean = {0.5f, 0.4f, 0.3f};
    float[] std = {0.2f, 0.25f, 0.3f};
    float[] other = {0.1f, 0.2f, 0.3f};
    BufferedImage target = Pixels.crop(image, box, 3, 3, 3);
    for (float[][] normalisation : new float[][][] {{mean, std}, {other, std}, {mean, other}, {mean, std}}) {
      float[] rendered = new float[27];
      Pixels.render(image, box, 3, 3, 3, normalisation[0], normalisation[1], rendered, 0);
      float[] expected = new float[27];
      Pixels.normalise(target, normalisation[0], normalisation[1], expected, 0);
      assertThat(rendered).containsExactly(expected);
    }
    // the same arrays changed in place between calls
    float[] changing = other.clone(); // differs from the last call's mean, so the table is built from this array
    float[] first = new float[27];
    Pixels.render(image, box, 3, 3, 3, changing, std, first, 0);
    changing[1] = 0.9f;
    float[] second = new float[27];
    Pixels.render(image, box, 3, 3, 3, changing, std, second, 0);
    float[] expected = new float[27];
    Pixels.normalise(target, changing, std, expected, 0);
    assertThat(second).containsExactly(expected).isNotEqualTo(first);
  }

  @Test
  void pixelsCropAndRenderAgree() {
    BufferedImage image = new BufferedImage(9, 6, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 9; x++) {
        image.setRGB(x, y, (x * 28) << 16 | (y * 40) << 8 | ((x + y) * 17));
      }
    }
    CropBox box = new CropBox(1, 2, 5, 6, true);
    float[] mean = {0.5f, 0.4f, 0.3f};
    float[] std = {0.2f, 0.25f, 0.3f};
    float[] rendered = new float[4 * 3 * 3 + 1];
    Pixels.render(image, box, 4, 3, 3, mean, std, rendered, 1);
    float[] normalised = new float[4 * 3 * 3 + 1];
    Pixels.normalise(Pixels.crop(image, box, 4, 3, 3), mean, std, normalised, 1);
    assertThat(rendered).containsExactly(normalised);
    assertThat(rendered[0]).isZero();

    float[] grey = new float[4 * 3];
    Pixels.render(image, box, 4, 3, 1, mean, std, grey, 0);
    float[] greyNormalised = new float[4 * 3];
    Pixels.normalise(Pixels.grey(Pixels.crop(image, box, 4, 3, 3)), mean, std, greyNormalised, 0);
    // luma of the resized colours is within a level of the resized luma (PIL's order is luma first)
    for (int i = 0; i < grey.length; i++) {
      assertThat(Math.abs(grey[i] - greyNormalised[i]) * std[0] * 255).isLessThanOrEqualTo(1.001f);
    }
  }

  @Test
  void badArgumentsSayWhat() {
    BufferedImage image = greyRow(1, 2);
    assertThatThrownBy(() -> Resize.crop(image, new CropBox(0, 0, 1, 2, false), 1, 2, 2))
        .hasMessageContaining("channels must be 1 (grey) or 3 (RGB), not 2");
    assertThatThrownBy(() -> Resize.crop(image, new CropBox(0, 0, 0, 2, false), 1, 2, 1))
        .hasMessageContaining("cannot resize a 0x2 crop to 1x2");
  }
}
