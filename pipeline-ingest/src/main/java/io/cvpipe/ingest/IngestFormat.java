package io.cvpipe.ingest;

/** The source layouts ingest understands, by their {@code ingest.format} names. */
public enum IngestFormat {
  IMAGENET_FOLDER("imagenet-folder"),
  IMAGENET_TAR("imagenet-tar"),
  COCO("coco"),
  IDX("idx");

  private final String code;

  IngestFormat(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
