package io.cvpipe.ingest.internal;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.ImageFormat;
import io.cvpipe.common.image.QuarantineReason;
import java.io.Serializable;
import java.util.List;

/**
 * One record found in the source, before its bytes are read: where its bytes are ({@code file} from
 * {@code offset}, {@code length} bytes), its split and label, and, when planning already knows it is bad
 * (no label, not an image file name), the quarantine reason.
 */
public record SourceEntry(
    long id,
    String split,
    String sourcePath,
    String file,
    long offset,
    long length,
    String label,
    Integer classIndex,
    QuarantineReason presetReason,
    String presetMessage,
    Long imageId,
    List<CocoAnnotation> annotations) implements Serializable {

  /** A member of a tar at a known offset: {@code key} is {@code <split>/<path>} as a folder would have it. */
  public static SourceEntry tarMember(String split, String relativePath, String tarFile, String entryName, long offset,
      long length, String label) {
    return new SourceEntry(SampleIds.of(SampleIds.key(split, relativePath)), split, tarFile + "!/" + entryName,
        tarFile, offset, length, label, null, null, null, null, null);
  }

  public static SourceEntry file(String split, String relativePath, String file, long length, String label) {
    return new SourceEntry(SampleIds.of(SampleIds.key(split, relativePath)), split, file, file, 0, length, label,
        null, null, null, null, null);
  }

  /** A file whose name is not an image's is quarantined unread (README.txt, .DS_Store in a class folder). */
  public SourceEntry requireImageName() {
    String name = sourcePath.substring(Math.max(sourcePath.lastIndexOf('/'), sourcePath.lastIndexOf('!')) + 1);
    if (presetReason == null && !ImageFormat.hasImageExtension(name)) {
      return rejectedUpfront(QuarantineReason.NON_IMAGE_FILE,
          "'" + name + "' has no image extension (.jpg, .jpeg, .png, ...); left out of the dataset");
    }
    return this;
  }

  public SourceEntry rejectedUpfront(QuarantineReason reason, String message) {
    return new SourceEntry(id, split, sourcePath, file, offset, length, label, classIndex, reason, message, imageId,
        annotations);
  }

  public SourceEntry withClassIndex(Integer index) {
    return new SourceEntry(id, split, sourcePath, file, offset, length, label, index, presetReason, presetMessage,
        imageId, annotations);
  }

  /** The same image with its COCO id and annotations. */
  public SourceEntry withAnnotations(long cocoImageId, List<CocoAnnotation> list) {
    return new SourceEntry(id, split, sourcePath, file, offset, length, label, classIndex, presetReason, presetMessage,
        cocoImageId, list);
  }

  /** A record that is not a file (a COCO annotation that cannot be attached), quarantined at planning. */
  public static SourceEntry record(String key, String split, String sourcePath, QuarantineReason reason, String message) {
    return new SourceEntry(SampleIds.of(key), split, sourcePath, null, 0, 0, null, null, reason, message, null, null);
  }
}
