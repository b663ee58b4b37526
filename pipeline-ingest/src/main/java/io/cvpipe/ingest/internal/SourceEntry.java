package io.cvpipe.ingest.internal;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.QuarantineReason;
import java.io.Serializable;

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
    String presetMessage) implements Serializable {

  public static SourceEntry file(String split, String relativePath, String file, long length, String label) {
    return new SourceEntry(SampleIds.of(SampleIds.key(split, relativePath)), split, file, file, 0, length, label,
        null, null, null);
  }

  public SourceEntry rejectedUpfront(QuarantineReason reason, String message) {
    return new SourceEntry(id, split, sourcePath, file, offset, length, label, classIndex, reason, message);
  }

  public SourceEntry withClassIndex(Integer index) {
    return new SourceEntry(id, split, sourcePath, file, offset, length, label, index, presetReason, presetMessage);
  }
}
