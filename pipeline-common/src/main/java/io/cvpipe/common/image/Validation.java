package io.cvpipe.common.image;

/** How thoroughly ingest checks each image. */
public enum Validation {
  /** Decode every pixel once: what a training loader would do. */
  FULL("full"),
  /**
   * The header's checks, then one native decode (libjpeg-turbo and libpng inside TensorFlow; JPEGs DCT-scaled to
   * 1/8, every coefficient still entropy-decoded). Faster than {@link #FULL}, and it catches the same bad files
   * but one: a JPEG whose scan data is cut short yet still ends with an end-of-image marker (libjpeg warns and
   * fills the rest with grey; ImageIO's warning is what {@code full} rejects it on).
   */
  NATIVE("native"),
  /** Parse the header for format and size, and check the end-of-image marker; no pixel decoding. */
  HEADER("header");

  private final String code;

  Validation(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
