package io.cvpipe.common.image;

import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Validates image bytes the way a training loader would meet them: the true format from the content
 * (a PNG named .JPEG is a PNG), width, height and channels from the header, the pixel budget checked before
 * any decoding, then (in {@link Validation#FULL} mode) one full decode. JPEGs are decoded to their raw
 * raster without colour conversion, which is faster and also reads CMYK/YCCK files.
 *
 * <p>Not thread-safe across threads sharing an instance's readers: use one probe per thread (cheap).
 */
public final class ImageProbe {

  static {
    ImageIO.setUseCache(false); // decode from memory, never through temp files
  }

  /** The outcome for one file: either {@link #info} or a {@link #reason} with a message. */
  public record Result(ImageInfo info, QuarantineReason reason, String message) {
    static Result ok(ImageInfo info) {
      return new Result(info, null, null);
    }

    static Result rejected(QuarantineReason reason, String message) {
      return new Result(null, reason, message);
    }

    public boolean accepted() {
      return info != null;
    }
  }

  private final Validation validation;
  private final long maxPixels;
  private final List<String> warnings = new ArrayList<>();
  private ImageReader jpegReader;
  private ImageReader pngReader;

  public ImageProbe(Validation validation, long maxPixels) {
    this.validation = validation;
    this.maxPixels = maxPixels;
  }

  public Result probe(byte[] bytes) {
    if (bytes.length == 0) {
      return Result.rejected(QuarantineReason.EMPTY, "0 bytes");
    }
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == ImageFormat.UNKNOWN) {
      return Result.rejected(QuarantineReason.NOT_AN_IMAGE, "no JPEG or PNG signature; first bytes: " + leadingBytes(bytes));
    }
    if (!format.accepted()) {
      return Result.rejected(QuarantineReason.UNSUPPORTED_FORMAT,
          format.code() + " image; cvpipe accepts jpeg and png (convert it first)");
    }
    Header header = format == ImageFormat.JPEG ? jpegHeader(bytes) : pngHeader(bytes);
    if (header.reason != null) {
      return Result.rejected(header.reason, header.message);
    }
    if (header.width <= 0 || header.height <= 0) {
      return Result.rejected(QuarantineReason.CORRUPT, "header says " + header.width + "x" + header.height + " pixels");
    }
    long pixels = (long) header.width * header.height;
    if (pixels > maxPixels) {
      return Result.rejected(QuarantineReason.TOO_MANY_PIXELS,
          header.width + "x" + header.height + " = " + pixels + " pixels, above ingest.max-pixels = " + maxPixels);
    }
    if (!hasEndMarker(format, bytes)) {
      return Result.rejected(QuarantineReason.TRUNCATED,
          "no " + (format == ImageFormat.JPEG ? "EOI marker (FFD9)" : "IEND chunk") + " at the end of " + bytes.length + " bytes");
    }
    ImageInfo info = new ImageInfo(format, header.width, header.height, header.channels);
    return validation == Validation.FULL ? decode(info, bytes) : Result.ok(info);
  }

  private Result decode(ImageInfo info, byte[] bytes) {
    ImageReader reader = info.format() == ImageFormat.JPEG ? jpegReader() : pngReader();
    warnings.clear();
    try (MemoryCacheImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      int width;
      int height;
      if (info.format() == ImageFormat.JPEG) {
        Raster raster = reader.readRaster(0, null);
        width = raster.getWidth();
        height = raster.getHeight();
      } else {
        var image = reader.read(0);
        width = image.getWidth();
        height = image.getHeight();
      }
      for (String warning : warnings) {
        String w = warning.toLowerCase(Locale.ROOT);
        if (w.contains("premature end") || w.contains("truncated") || w.contains("eoi")) {
          return Result.rejected(QuarantineReason.TRUNCATED, "decoder: " + warning);
        }
      }
      if (width != info.width() || height != info.height()) {
        return Result.rejected(QuarantineReason.CORRUPT,
            "header says " + info.width() + "x" + info.height() + ", decoded " + width + "x" + height);
      }
      return Result.ok(info);
    } catch (Exception | OutOfMemoryError e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      boolean eof = e instanceof java.io.EOFException || message.toLowerCase(Locale.ROOT).contains("eof");
      return Result.rejected(eof ? QuarantineReason.TRUNCATED : QuarantineReason.CORRUPT, "decoder: " + message);
    } finally {
      reader.setInput(null);
    }
  }

  private ImageReader jpegReader() {
    if (jpegReader == null) {
      jpegReader = newReader("jpeg");
    }
    return jpegReader;
  }

  private ImageReader pngReader() {
    if (pngReader == null) {
      pngReader = newReader("png");
    }
    return pngReader;
  }

  private ImageReader newReader(String format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
    if (!readers.hasNext()) {
      throw new IllegalStateException("no ImageIO reader for " + format + " in this JVM");
    }
    ImageReader reader = readers.next();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    return reader;
  }

  private record Header(int width, int height, int channels, QuarantineReason reason, String message) {
    static Header of(int width, int height, int channels) {
      return new Header(width, height, channels, null, null);
    }

    static Header bad(QuarantineReason reason, String message) {
      return new Header(0, 0, 0, reason, message);
    }
  }

  /** Walks the JPEG markers up to the first start-of-frame (ITU T.81, B.1.1.3). */
  private static Header jpegHeader(byte[] b) {
    int i = 2;
    while (true) {
      while (i < b.length && (b[i] & 0xFF) != 0xFF) {
        i++; // tolerate garbage between segments, as libjpeg does (with a warning)
      }
      while (i < b.length && (b[i] & 0xFF) == 0xFF) {
        i++; // fill bytes
      }
      if (i >= b.length) {
        return Header.bad(QuarantineReason.TRUNCATED, "file ends before the frame header (" + b.length + " bytes)");
      }
      int marker = b[i++] & 0xFF;
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // markers without a length
      }
      if (marker == 0xD9 || marker == 0xDA) {
        return Header.bad(QuarantineReason.CORRUPT, "no frame header (SOF) before " + (marker == 0xDA ? "scan data" : "end of image"));
      }
      if (i + 2 > b.length) {
        return Header.bad(QuarantineReason.TRUNCATED, "file ends inside a marker segment");
      }
      int length = ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
      boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (i + 8 > b.length) {
          return Header.bad(QuarantineReason.TRUNCATED, "file ends inside the frame header");
        }
        int height = ((b[i + 3] & 0xFF) << 8) | (b[i + 4] & 0xFF);
        int width = ((b[i + 5] & 0xFF) << 8) | (b[i + 6] & 0xFF);
        int components = b[i + 7] & 0xFF;
        if (marker != 0xC0 && marker != 0xC1 && marker != 0xC2) {
          return Header.bad(QuarantineReason.UNSUPPORTED_FORMAT,
              String.format("JPEG coding process SOF%d (lossless or arithmetic); loaders read baseline and progressive", marker - 0xC0));
        }
        return Header.of(width, height, components);
      }
      if (length < 2) {
        return Header.bad(QuarantineReason.CORRUPT, String.format("marker FF%02X with length %d", marker, length));
      }
      i += length;
    }
  }

  /** PNG signature, then IHDR: width, height, bit depth, colour type (PNG spec, 11.2.2). */
  private static Header pngHeader(byte[] b) {
    if (b.length < 8 + 8 + 13) {
      return Header.bad(QuarantineReason.TRUNCATED, "file ends before the IHDR chunk (" + b.length + " bytes)");
    }
    if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
      return Header.bad(QuarantineReason.CORRUPT, "first chunk is not IHDR");
    }
    int width = readInt(b, 16);
    int height = readInt(b, 20);
    int colourType = b[25] & 0xFF;
    int channels = switch (colourType) {
      case 0 -> 1;
      case 2, 3 -> 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> -1;
    };
    if (channels < 0) {
      return Header.bad(QuarantineReason.CORRUPT, "PNG colour type " + colourType + " does not exist");
    }
    return Header.of(width, height, channels);
  }

  private static boolean hasEndMarker(ImageFormat format, byte[] b) {
    if (format == ImageFormat.PNG) {
      // IEND: length 0, type, CRC AE426082; allow a few trailing bytes
      for (int i = b.length - 8; i >= Math.max(8, b.length - 64); i--) {
        if (b[i] == 'I' && b[i + 1] == 'E' && b[i + 2] == 'N' && b[i + 3] == 'D') {
          return true;
        }
      }
      return false;
    }
    // many cameras pad after EOI; look near the end only
    for (int i = b.length - 2; i >= Math.max(2, b.length - 64); i--) {
      if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) {
        return true;
      }
    }
    return false;
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  private static String leadingBytes(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xFF)).append(i < Math.min(8, b.length) - 1 ? " " : "");
    }
    return sb.toString();
  }
}
