package io.cvpipe.common.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Images encoded as the bytes of a file, in memory (never through ImageIO's temp files). */
public final class ImageFiles {

  private ImageFiles() {}

  /** Lossless PNG bytes of a grey or RGB image. */
  public static byte[] png(BufferedImage image) {
    return write(image, "png");
  }

  /**
   * Baseline JPEG bytes at {@code quality} in (0, 1]: ImageIO scales its quantisation tables as libjpeg's
   * {@code jpeg_set_quality} does, so 0.75 is what PIL and cjpeg call quality 75.
   */
  public static byte[] jpeg(BufferedImage image, float quality) {
    return jpeg(new IIOImage(image, null, null), quality, false);
  }

  /** A progressive JPEG at ImageIO's default quality. */
  public static byte[] progressiveJpeg(IIOImage image) {
    return jpeg(image, 0, true);
  }

  /** JPEG bytes of an image or a raw raster (a raster is written as it is: e.g. four CMYK channels). */
  public static byte[] jpeg(IIOImage image, float quality, boolean progressive) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      if (progressive) {
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      } else {
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
      }
      writer.write(null, image, param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** The bytes ImageIO's writer for {@code format} makes. */
  public static byte[] write(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
