package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.ImageFormat;
import io.cvpipe.common.image.ImageInfo;
import io.cvpipe.common.image.ImageProbe;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.image.Validation;
import io.cvpipe.engine.ImageDecoding;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every kind of file through ingest's {@code native} validation (TensorFlow's libjpeg-turbo and libpng): the same
 * reasons and messages as {@code full} validation where the checks come before decoding, the decoder's own message
 * where it refuses the data, and the one file {@code full} rejects that it accepts.
 */
class TestNativeValidation {

  private static final BufferedImage IMAGE = SyntheticImages.shape(1, 120, 90, new Random(7));
  private final ImageProbe nativeProbe = new ImageProbe(Validation.NATIVE, 89_478_485, ImageDecoding::scaledShape);
  private final ImageProbe fullProbe = new ImageProbe(Validation.FULL, 89_478_485);

  @Test
  void acceptsWhatATrainingLoaderReads() {
    assertInfo(nativeProbe.probe(SyntheticImages.jpeg(IMAGE, 0.9f)), ImageFormat.JPEG, 3);
    assertInfo(nativeProbe.probe(SyntheticImages.progressiveJpeg(IMAGE)), ImageFormat.JPEG, 3);
    assertInfo(nativeProbe.probe(SyntheticImages.greyJpeg(IMAGE)), ImageFormat.JPEG, 1);
    assertInfo(nativeProbe.probe(SyntheticImages.cmykJpeg(IMAGE)), ImageFormat.JPEG, 4);
    assertInfo(nativeProbe.probe(SyntheticImages.png(IMAGE)), ImageFormat.PNG, 3);
    // sizes that 8 does not divide: the decoder's 1/8 scale rounds up
    assertInfo(nativeProbe.probe(SyntheticImages.jpeg(SyntheticImages.shape(2, 13, 9, new Random(1)), 0.9f)),
        ImageFormat.JPEG, 3, 13, 9);
  }

  @Test
  void rejectsEachBadKindWithTheReasonAndMessageOfFullValidation() {
    byte[] jpeg = SyntheticImages.jpeg(IMAGE, 0.9f);
    byte[][] bad = {
        new byte[0],
        SyntheticImages.truncate(jpeg, 0.5),
        SyntheticImages.truncate(SyntheticImages.png(IMAGE), 0.7),
        "<html>".getBytes(StandardCharsets.UTF_8),
        SyntheticImages.gif(IMAGE),
        SyntheticImages.jpegClaiming(30000, 30000)};
    QuarantineReason[] reasons = {QuarantineReason.EMPTY, QuarantineReason.TRUNCATED, QuarantineReason.TRUNCATED,
        QuarantineReason.NOT_AN_IMAGE, QuarantineReason.UNSUPPORTED_FORMAT, QuarantineReason.TOO_MANY_PIXELS};
    for (int i = 0; i < bad.length; i++) {
      ImageProbe.Result got = nativeProbe.probe(bad[i]);
      ImageProbe.Result full = fullProbe.probe(bad[i]);
      assertThat(got.accepted()).as("bad file %d", i).isFalse();
      assertThat(got.reason()).as("bad file %d", i).isEqualTo(reasons[i]).isEqualTo(full.reason());
      assertThat(got.message()).as("bad file %d", i).isEqualTo(full.message());
    }
  }

  @Test
  void theDecoderRefusesDataThatTheHeaderChecksLetThrough() {
    byte[] png = SyntheticImages.png(IMAGE);
    byte[] scrambled = png.clone();
    Arrays.fill(scrambled, png.length / 2, png.length / 2 + 40, (byte) 0x5a); // inside the IDAT data, IEND intact
    byte[] jpeg = SyntheticImages.jpeg(IMAGE, 0.9f);
    byte[] noScan = Arrays.copyOf(jpeg, jpeg.length);
    int sos = indexOf(jpeg, (byte) 0xFF, (byte) 0xDA);
    byte[] headersOnly = new byte[sos + 2];
    System.arraycopy(jpeg, 0, headersOnly, 0, sos);
    headersOnly[sos] = (byte) 0xFF;
    headersOnly[sos + 1] = (byte) 0xD9; // every header, then the end marker: no scan at all

    ImageProbe.Result corruptPng = nativeProbe.probe(scrambled);
    ImageProbe.Result noScanData = nativeProbe.probe(headersOnly);

    assertThat(corruptPng.reason()).isEqualTo(QuarantineReason.CORRUPT);
    assertThat(corruptPng.message()).startsWith("decoder: ").contains("PNG");
    assertThat(noScanData.accepted()).isFalse();
    assertThat(noScanData.message()).contains("decoder: ");
    assertThat(nativeProbe.probe(noScan).accepted()).isTrue();
  }

  @Test
  void aScanCutShortThatStillEndsWithAnEndMarkerPassesNativeButNotFullValidation() {
    byte[] jpeg = SyntheticImages.jpeg(IMAGE, 0.9f);
    byte[] cut = new byte[jpeg.length / 2 + 2];
    System.arraycopy(jpeg, 0, cut, 0, jpeg.length / 2);
    cut[cut.length - 2] = (byte) 0xFF;
    cut[cut.length - 1] = (byte) 0xD9;

    assertThat(nativeProbe.probe(cut).accepted()).as("libjpeg only warns: the documented difference").isTrue();
    assertThat(fullProbe.probe(cut).accepted()).isFalse();
  }

  private static int indexOf(byte[] b, byte first, byte second) {
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == first && b[i + 1] == second) {
        return i;
      }
    }
    throw new AssertionError("marker not found");
  }

  private static void assertInfo(ImageProbe.Result result, ImageFormat format, int channels) {
    assertInfo(result, format, channels, 120, 90);
  }

  private static void assertInfo(ImageProbe.Result result, ImageFormat format, int channels, int width, int height) {
    assertThat(result.accepted()).as(result.message()).isTrue();
    assertThat(result.info()).isEqualTo(new ImageInfo(format, width, height, channels));
  }
}
