package io.cvpipe.common.image;

/** Why a record went to the quarantine table instead of the samples table. The code is what is stored. */
public enum QuarantineReason {
  EMPTY("empty", "the file has no bytes"),
  TRUNCATED("truncated", "the image data ends early"),
  CORRUPT("corrupt", "the image data cannot be decoded"),
  NOT_AN_IMAGE("not_an_image", "an image file name, but the content is no image format"),
  UNSUPPORTED_FORMAT("unsupported_format", "an image, but not JPEG or PNG"),
  TOO_MANY_PIXELS("too_many_pixels", "width x height above ingest.max-pixels"),
  TOO_LARGE("too_large", "file larger than ingest.max-file-size"),
  NON_IMAGE_FILE("non_image_file", "a file without an image extension among the images (README, .DS_Store)"),
  UNSAFE_PATH("unsafe_path", "a tar entry with an absolute path or '..'"),
  NO_LABEL("no_label", "no label for the file (not in a class folder, not in the labels file)"),
  READ_ERROR("read_error", "the file could not be read"),
  IMAGE_MISSING("image_missing", "COCO: the annotations list an image that is not on disk"),
  NOT_IN_ANNOTATIONS("not_in_annotations", "COCO: an image file that the annotations do not list"),
  UNKNOWN_IMAGE("unknown_image", "COCO: an annotation points to an image id that is not listed"),
  UNKNOWN_CATEGORY("unknown_category", "COCO: an annotation points to a category id that is not listed"),
  BAD_ANNOTATION("bad_annotation", "COCO: an annotation without a usable bbox or segmentation");

  private final String code;
  private final String meaning;

  QuarantineReason(String code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public String code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }
}
