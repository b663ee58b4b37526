package io.cvpipe.common.image;

import java.util.Locale;
import java.util.Set;

/** Image formats recognised by their leading bytes. Only JPEG and PNG are accepted into a samples table. */
public enum ImageFormat {
  JPEG, PNG, GIF, BMP, TIFF, WEBP, UNKNOWN;

  private static final Set<String> IMAGE_EXTENSIONS =
      Set.of("jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "tif", "tiff", "webp");

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean accepted() {
    return this == JPEG || this == PNG;
  }

  /** The format the bytes really are, whatever the file name says. */
  public static ImageFormat sniff(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
      return JPEG;
    }
    if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
        && b[4] == 0x0D && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
      return PNG;
    }
    if (b.length >= 4 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
      return GIF;
    }
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
      return BMP;
    }
    if (b.length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
        || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
      return TIFF;
    }
    if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
        && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
      return WEBP;
    }
    return UNKNOWN;
  }

  /** Whether a file name looks like an image; files that do not are quarantined as non_image_file unread. */
  public static boolean hasImageExtension(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot >= 0 && IMAGE_EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
  }
}
