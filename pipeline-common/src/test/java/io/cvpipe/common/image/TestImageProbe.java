package io.cvpipe.common.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestImageProbe {

  private static final BufferedImage IMAGE = SyntheticImages.shape(1, 120, 90, new Random(7));
  private final ImageProbe full = new ImageProbe(Validation.FULL, 89_478_485);
  private final ImageProbe header = new ImageProbe(Validation.HEADER, 89_478_485);

  @Test
  void acceptsWhatATrainingLoaderReads() {
    assertInfo(full.probe(SyntheticImages.jpeg(IMAGE, 0.9f)), ImageFormat.JPEG, 3);
    assertInfo(full.probe(SyntheticImages.progressiveJpeg(IMAGE)), ImageFormat.JPEG, 3);
    assertInfo(full.probe(SyntheticImages.greyJpeg(IMAGE)), ImageFormat.JPEG, 1);
    assertInfo(full.probe(SyntheticImages.cmykJpeg(IMAGE)), ImageFormat.JPEG, 4);
    assertInfo(full.probe(SyntheticImages.png(IMAGE)), ImageFormat.PNG, 3);
  }

  @Test
  void headerModeReadsTheSameFacts() {
    assertInfo(header.probe(SyntheticImages.progressiveJpeg(IMAGE)), ImageFormat.JPEG, 3);
    assertInfo(header.probe(SyntheticImages.cmykJpeg(IMAGE)), ImageFormat.JPEG, 4);
    assertInfo(header.probe(SyntheticImages.png(IMAGE)), ImageFormat.PNG, 3);
  }

  @Test
  void rejectsEachBadKindWithItsReason() {
    byte[] jpeg = SyntheticImages.jpeg(IMAGE, 0.9f);

    assertReason(full.probe(new byte[0]), QuarantineReason.EMPTY, "0 bytes");
    assertReason(full.probe(SyntheticImages.truncate(jpeg, 0.5)), QuarantineReason.TRUNCATED, "EOI");
    assertReason(full.probe(SyntheticImages.truncate(SyntheticImages.png(IMAGE), 0.7)), QuarantineReason.TRUNCATED, "IEND");
    assertReason(full.probe("<html>".getBytes(StandardCharsets.UTF_8)), QuarantineReason.NOT_AN_IMAGE, "3c 68 74 6d");
    assertReason(full.probe(SyntheticImages.gif(IMAGE)), QuarantineReason.UNSUPPORTED_FORMAT, "gif");
    assertReason(full.probe(SyntheticImages.jpegClaiming(30000, 30000)), QuarantineReason.TOO_MANY_PIXELS,
        "30000x30000");
  }

  @Test
  void fullDecodeCatchesDataCutWhereTheEndMarkerSurvives() {
    byte[] jpeg = SyntheticImages.jpeg(IMAGE, 0.9f);
    byte[] cut = new byte[jpeg.length / 2 + 2];
    System.arraycopy(jpeg, 0, cut, 0, jpeg.length / 2);
    cut[cut.length - 2] = (byte) 0xFF;
    cut[cut.length - 1] = (byte) 0xD9; // a truncated scan that still ends in EOI

    ImageProbe.Result decoded = full.probe(cut);
    ImageProbe.Result headerOnly = header.probe(cut);

    assertThat(decoded.reason()).isIn(QuarantineReason.TRUNCATED, QuarantineReason.CORRUPT);
    assertThat(headerOnly.accepted()).as("header mode does not decode pixels").isTrue();
  }

  @Test
  void pixelBudgetIsCheckedBeforeDecoding() {
    ImageProbe small = new ImageProbe(Validation.FULL, 100 * 80);

    assertReason(small.probe(SyntheticImages.jpeg(IMAGE, 0.9f)), QuarantineReason.TOO_MANY_PIXELS, "120x90");
  }

  private static void assertInfo(ImageProbe.Result result, ImageFormat format, int channels) {
    assertThat(result.accepted()).as(result.message()).isTrue();
    assertThat(result.info()).isEqualTo(new ImageInfo(format, 120, 90, channels));
  }

  private static void assertReason(ImageProbe.Result result, QuarantineReason reason, String messagePart) {
    assertThat(result.accepted()).isFalse();
    assertThat(result.reason()).isEqualTo(reason);
    assertThat(result.message()).contains(messagePart);
  }
}
