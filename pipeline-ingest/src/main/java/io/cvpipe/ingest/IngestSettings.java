package io.cvpipe.ingest;

import io.cvpipe.common.image.Validation;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import java.time.Duration;
import java.util.Optional;

/** Everything an ingest run needs, read and checked once from the configuration. */
public record IngestSettings(
    String dataset,
    String source,
    IngestFormat format,
    int shards, // 0 = auto
    long targetFileSize,
    Validation validation,
    long maxPixels,
    long maxFileSize,
    Optional<String> labelsFile,
    Optional<String> namesFile,
    int filesPerTask,
    Duration progressInterval) {

  public static IngestSettings from(Settings s) {
    String dataset = Tables.checkDataset(s.string("dataset", "imagenet"));
    String shardsValue = s.stringOr("ingest.shards", "auto");
    int shards = shardsValue.equals("auto") ? 0 : s.intIn("ingest.shards", 1, 65536);
    long maxFileSize = s.bytes("ingest.max-file-size");
    if (maxFileSize > Integer.MAX_VALUE - 16) {
      throw io.cvpipe.common.Errors.setting("ingest.max-file-size", "must be below 2GB (a sample is one byte array)");
    }
    return new IngestSettings(
        dataset,
        s.string("ingest.source", "/data/imagenet or s3a://bucket/imagenet"),
        s.choice("ingest.format", IngestFormat.class, IngestFormat::code),
        shards,
        s.bytes("ingest.target-file-size"),
        s.choice("ingest.validation", Validation.class, Validation::code),
        s.longAtLeast("ingest.max-pixels", 1),
        maxFileSize,
        s.optionalString("ingest.labels-file"),
        s.optionalString("ingest.names-file"),
        s.intIn("ingest.files-per-task", 1, 1_000_000),
        s.duration("ingest.progress-interval"));
  }
}
