package io.cvpipe.ingest.internal;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.ImageInfo;
import io.cvpipe.common.image.ImageProbe;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.common.image.Validation;
import io.cvpipe.common.table.Schemas;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs in Spark tasks: reads each record's bytes, validates them once and turns them into a row of
 * {@link #SCHEMA}, which is a samples row when {@code reject_reason} is null and a quarantine row
 * otherwise. Every entry in gives exactly one row out: that is what keeps rows in = samples + quarantine.
 */
public final class RecordProcessor implements Serializable {

  /** The samples columns (all nullable here), then why a record was rejected. */
  public static final StructType SCHEMA = processedSchema();

  private final String runId;
  private final Validation validation;
  private final long maxPixels;
  private final long maxFileSize;
  private final SerializableConfiguration conf;
  private final LongAccumulator done;

  public RecordProcessor(String runId, Validation validation, long maxPixels, long maxFileSize,
      SerializableConfiguration conf, LongAccumulator done) {
    this.runId = runId;
    this.validation = validation;
    this.maxPixels = maxPixels;
    this.maxFileSize = maxFileSize;
    this.conf = conf;
    this.done = done;
  }

  /**
   * Marks a record that the tables already hold (found while streaming a tar): counted, never written.
   * Counting it as a row rather than with an accumulator keeps the counts exact when Spark retries a task.
   */
  public static final String ALREADY_PRESENT = "-already-present";

  /** One row per record of the unit; {@code existing} (sorted) lists ids the tables already hold. */
  public Iterator<Row> process(WorkUnit unit, long[] existing) {
    ImageProbe probe = new ImageProbe(validation, maxPixels);
    if (unit instanceof WorkUnit.TarStream stream) {
      return new TarStreamReader(stream, existing, this, probe, conf.value());
    }
    if (unit instanceof WorkUnit.IdxBatch idx) {
      return IdxReader.read(idx, this, probe, conf.value()).iterator();
    }
    List<SourceEntry> entries = ((WorkUnit.FileBatch) unit).entries();
    List<Row> rows = new ArrayList<>(entries.size());
    for (SourceEntry entry : entries) {
      rows.add(entry.presetReason() != null ? reject(entry, entry.presetReason(), entry.presetMessage()) : readAndCheck(entry, probe));
      done.add(1);
    }
    return rows.iterator();
  }

  void countDone() {
    done.add(1);
  }

  long maxFileSize() {
    return maxFileSize;
  }

  Row alreadyPresent(SourceEntry entry) {
    return reject(entry, null, null, 0, ALREADY_PRESENT);
  }

  private Row readAndCheck(SourceEntry entry, ImageProbe probe) {
    if (entry.length() > maxFileSize) {
      return reject(entry, QuarantineReason.TOO_LARGE, entry.length() + " bytes, above ingest.max-file-size = " + maxFileSize);
    }
    byte[] bytes = new byte[(int) entry.length()];
    try {
      Path path = new Path(entry.file());
      FileSystem fs = path.getFileSystem(conf.value());
      if (fs instanceof LocalFileSystem local) {
        fs = local.getRaw(); // no .crc side files to look for: a source is not written by Hadoop
      }
      try (FSDataInputStream in = fs.open(path)) {
        in.seek(entry.offset());
        in.readFully(bytes);
      }
    } catch (IOException e) {
      return reject(entry, QuarantineReason.READ_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return check(entry, bytes, probe);
  }

  /** Validates bytes already in memory (tar members, streamed). */
  public Row check(SourceEntry entry, byte[] bytes, ImageProbe probe) {
    ImageProbe.Result result = probe.probe(bytes);
    if (!result.accepted()) {
      return reject(entry, result.reason(), result.message(), bytes.length);
    }
    ImageInfo info = result.info();
    Object annotations = entry.annotations() == null ? null
        : CollectionConverters.asScala(entry.annotations().stream().map(CocoAnnotation::toRow).toList()).toSeq();
    return RowFactory.create(entry.id(), entry.split(), entry.label(), entry.classIndex(), bytes, info.format().code(),
        info.width(), info.height(), info.channels(), (long) bytes.length, SampleIds.sha256Hex(bytes),
        entry.sourcePath(), entry.imageId(), annotations, runId, null, null);
  }

  public Row reject(SourceEntry entry, QuarantineReason reason, String message) {
    return reject(entry, reason, message, entry.length());
  }

  Row reject(SourceEntry entry, QuarantineReason reason, String message, long byteSize) {
    int annotations = entry.annotations() == null ? 0 : entry.annotations().size();
    if (annotations > 0 && !message.contains("annotations")) {
      message += "; its " + annotations + " annotations are not ingested";
    }
    return reject(entry, reason, message, byteSize, reason.code());
  }

  private Row reject(SourceEntry entry, QuarantineReason reason, String message, long byteSize, String code) {
    return RowFactory.create(entry.id(), entry.split(), entry.label(), entry.classIndex(), null, null, null, null,
        null, byteSize, null, entry.sourcePath(), null, null, runId, code, message);
  }

  private static StructType processedSchema() {
    List<StructField> fields = new ArrayList<>();
    for (StructField f : Schemas.SAMPLES.fields()) {
      fields.add(new StructField(f.name(), f.dataType(), true, f.metadata()));
    }
    fields.add(DataTypes.createStructField("reject_reason", DataTypes.StringType, true));
    fields.add(DataTypes.createStructField("reject_message", DataTypes.StringType, true));
    return DataTypes.createStructType(fields);
  }
}
