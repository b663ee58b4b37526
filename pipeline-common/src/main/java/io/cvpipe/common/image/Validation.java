package io.cvpipe.common.image;

/** How thoroughly ingest checks each image. */
public enum Validation {
  /** Decode every pixel once: what a training loader would do. */
  FULL("full"),
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
