package io.cvpipe.ingest.internal;

import java.io.Serializable;
import java.util.List;

/** What one Spark task reads: a batch of planned files (or tar members at known offsets), or a whole inner tar. */
public sealed interface WorkUnit extends Serializable {

  /** Records planned on the driver, each with its own offset and length. */
  record FileBatch(List<SourceEntry> entries) implements WorkUnit {}

  /**
   * IDX images (MNIST family): each entry's {@code offset} is where its pixels start in the file's
   * uncompressed bytes, {@code length} their count (rows x cols, which the task reads from the file's header).
   */
  record IdxBatch(List<SourceEntry> entries) implements WorkUnit {}

  /**
   * A tar stored inside a tar (ILSVRC2012_img_train.tar holds one per class), streamed by the task from
   * {@code offset}: its members are only known once read. All members get {@code label}.
   */
  record TarStream(String tarFile, String innerName, long offset, long length, String split, String label,
      Integer classIndex) implements WorkUnit {

    public TarStream withClassIndex(Integer index) {
      return new TarStream(tarFile, innerName, offset, length, split, label, index);
    }
  }
}
