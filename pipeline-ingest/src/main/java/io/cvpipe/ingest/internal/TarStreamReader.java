package io.cvpipe.ingest.internal;

import io.cvpipe.common.image.ImageProbe;
import io.cvpipe.common.image.QuarantineReason;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.input.BoundedInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

/**
 * Streams the members of an inner tar (one class of ILSVRC2012_img_train.tar) straight from the outer tar,
 * one row per member, holding one image in memory at a time. Members the tables already hold are skipped
 * without reading their bytes. If the tar breaks midway, the rest of it becomes one read_error row.
 */
final class TarStreamReader implements Iterator<Row> {

  private final WorkUnit.TarStream unit;
  private final long[] existing;
  private final RecordProcessor processor;
  private final ImageProbe probe;
  private TarArchiveInputStream tar;
  private Row next;
  private boolean finished;
  private int members;

  TarStreamReader(WorkUnit.TarStream unit, long[] existing, RecordProcessor processor, ImageProbe probe,
      Configuration conf) {
    this.unit = unit;
    this.existing = existing;
    this.processor = processor;
    this.probe = probe;
    try {
      Path path = new Path(unit.tarFile());
      FSDataInputStream in = path.getFileSystem(conf).open(path);
      in.seek(unit.offset());
      InputStream bounded = BoundedInputStream.builder().setInputStream(in).setMaxCount(unit.length()).get();
      this.tar = new TarArchiveInputStream(new BufferedInputStream(bounded, 1 << 20));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + unit.tarFile() + "!/" + unit.innerName(), e);
    }
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> close());
    }
  }

  @Override
  public boolean hasNext() {
    if (next == null && !finished) {
      next = advance();
    }
    return next != null;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Row row = next;
    next = null;
    return row;
  }

  private Row advance() {
    TarArchiveEntry e;
    try {
      do {
        e = tar.getNextEntry();
      } while (e != null && e.isDirectory());
    } catch (IOException ex) {
      return broken(ex);
    }
    if (e == null) {
      close();
      return null;
    }
    members++;
    processor.countDone();
    String name = e.getName();
    String unsafe = TarNames.unsafe(name);
    String relative = unit.label() + "/" + (unsafe == null ? name : "unsafe/" + name);
    SourceEntry entry = SourceEntry.tarMember(unit.split(), relative, unit.tarFile(), unit.innerName() + "!/" + name,
        -1, e.getSize(), unit.label()).withClassIndex(unit.classIndex());
    if (Arrays.binarySearch(existing, entry.id()) >= 0) {
      return processor.alreadyPresent(entry);
    }
    if (unsafe != null) {
      return processor.reject(entry, QuarantineReason.UNSAFE_PATH, unsafe + "; not read");
    }
    if (!e.isFile()) {
      return processor.reject(entry, QuarantineReason.NON_IMAGE_FILE, TarNames.notAFile(name));
    }
    SourceEntry named = entry.requireImageName();
    if (named.presetReason() != null) {
      return processor.reject(named, named.presetReason(), named.presetMessage());
    }
    if (e.getSize() > processor.maxFileSize()) {
      return processor.reject(entry, QuarantineReason.TOO_LARGE,
          e.getSize() + " bytes, above ingest.max-file-size = " + processor.maxFileSize());
    }
    try {
      byte[] bytes = tar.readNBytes((int) e.getSize());
      return processor.check(entry, bytes, probe);
    } catch (IOException ex) {
      return broken(ex);
    }
  }

  /** The tar cannot be read past this point: one quarantine row says so, for the rest of it. */
  private Row broken(IOException ex) {
    close();
    String where = unit.tarFile() + "!/" + unit.innerName();
    SourceEntry rest = SourceEntry.tarMember(unit.split(), unit.label() + "/#unreadable-after-" + members,
        unit.tarFile(), unit.innerName() + "!/#unreadable-after-" + members, -1, 0, unit.label());
    return processor.reject(rest, QuarantineReason.READ_ERROR,
        where + " cannot be read after member " + members + ": " + ex.getMessage() + "; its remaining members are missing");
  }

  private void close() {
    finished = true;
    try {
      tar.close();
    } catch (IOException ignored) {
      // read-only stream: nothing to lose
    }
  }
}
