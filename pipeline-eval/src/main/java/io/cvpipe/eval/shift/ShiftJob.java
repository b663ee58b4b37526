package io.cvpipe.eval.shift;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.common.spark.Progress;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import java.awt.image.BufferedImage;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;

/**
 * {@code cvpipe shift}: corrupted copies of one split of a pinned snapshot of the samples table, written as new
 * splits of the same table ({@code val-gaussian_noise-3}, ...), so that {@code cvpipe eval --set eval.split=...}
 * measures robustness as ImageNet-C does. A copy's sample_id comes from its split and its source's sample_id, its
 * pixels from (seed, source sample_id, corruption, severity) alone, and its row says where it came from
 * ({@code source_path}, {@code ingest_run}, a row in {@code cvpipe.runs.ingest}). A re-run makes only the copies
 * that are missing; an image that cannot be decoded is quarantined once per copy, with the reason. Rows in =
 * rows written + rows already present (made or quarantined before) + rows quarantined, per target split, and the
 * table holds what was there plus what was written, or the job fails.
 */
public final class ShiftJob {

  private static final Logger LOG = LogManager.getLogger(ShiftJob.class);

  /** The samples columns, then why a copy was not made (null: made). */
  private static final StructType OUTPUT = Schemas.SAMPLES
      .add("reject_reason", DataTypes.StringType, true)
      .add("reject_message", DataTypes.StringType, true);

  /** About how many copies one task makes. */
  private static final long COPIES_PER_TASK = 5_000;

  private final SparkSession spark;
  private final ShiftSettings settings;

  public ShiftJob(SparkSession spark, ShiftSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /** What a shift run did, per target split. */
  public record Result(String runId, String dataset, String split, long sourceRows, Map<String, Counts> targets) {

    public long written() {
      return targets.values().stream().mapToLong(Counts::written).sum();
    }

    public long alreadyPresent() {
      return targets.values().stream().mapToLong(Counts::alreadyPresent).sum();
    }

    public long quarantined() {
      return targets.values().stream().mapToLong(Counts::quarantined).sum();
    }

    public long rowsIn() {
      return sourceRows * targets.size();
    }

    public String summary() {
      return String.format(Locale.ROOT, "shift %s (%s): %s (%,d images) x %d corrupted copies: %,d rows in = %,d already "
          + "present + %,d written to samples + %,d quarantined; splits %s", dataset, runId, split, sourceRows,
          targets.size(), rowsIn(), alreadyPresent(), written(), quarantined(), String.join(", ", targets.keySet()));
    }
  }

  /**
   * One target split's rows: in = written + alreadyPresent + quarantined, where alreadyPresent counts the copies
   * earlier runs made or quarantined.
   */
  public record Counts(long written, long alreadyPresent, long quarantined) {}

  public Result run() {
    Instant started = Instant.now();
    String runId = "shift-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started)
        + "-" + UUID.randomUUID().toString().substring(0, 8);
    SampleTable pinned = SampleTable.pinned(spark, settings.dataset());
    long sourceRows = pinned.requireRows(settings.split(), "shift.split");
    List<String> targets = settings.targets();
    for (String target : targets) {
      if (target.equals(settings.split())) {
        throw new IllegalStateException("target split " + target + " is its own source");
      }
    }
    LOG.info(String.format(Locale.ROOT, "shift %s: %s split %s at snapshot %d: %,d images, %d corruptions x %d "
        + "severities", settings.dataset(), pinned.name(), settings.split(), pinned.snapshotId(), sourceRows,
        settings.corruptions().size(), settings.severities().size()));

    // the copies already made (now, not at the pinned snapshot), or quarantined: a re-run makes only the others
    String in = String.join(", ", targets.stream().map(t -> "'" + t + "'").toList());
    String copiesPerSplit = "SELECT split, count(*) FROM " + pinned.name() + " WHERE split IN (" + in + ") GROUP BY split";
    Map<String, Long> priorSamples = countBySplit(copiesPerSplit);
    String quarantineTable = Tables.quarantine(settings.dataset());
    Tables.createIfMissing(spark, quarantineTable, Schemas.QUARANTINE, "", Map.of("format-version", "2"));
    Map<String, Long> priorQuarantined = countBySplit("SELECT split, count(DISTINCT record_id) FROM " + quarantineTable
        + " WHERE split IN (" + in + ") GROUP BY split");
    Dataset<Row> existing = spark.sql("SELECT sample_id AS existing_id FROM " + pinned.name() + " WHERE split IN ("
        + in + ") UNION SELECT record_id FROM " + quarantineTable + " WHERE split IN (" + in + ")");
    // a split is a few large files: spread its rows so that every core corrupts copies (and progress moves),
    // shuffling the source images once rather than their copies
    int partitions = (int) Math.min(sourceRows, Math.max(4L * spark.sparkContext().defaultParallelism(),
        sourceRows * targets.size() / COPIES_PER_TASK));
    Dataset<Row> source = pinned.rows("sample_id, label, class_index, image, source_path, image_id",
        List.of(settings.split())).repartition(partitions);
    Dataset<Row> pairs = source.flatMap(new Pairs(settings), Pairs.ENCODER);
    Dataset<Row> pending = pairs.join(broadcast(existing), col("target_id").equalTo(col("existing_id")), "left_anti");

    LongAccumulator done = spark.sparkContext().longAccumulator("shift copies");
    Dataset<Row> made = pending.map(new Copies(settings, runId, done), ExpressionEncoder.apply(OUTPUT))
        .persist(StorageLevel.MEMORY_AND_DISK_SER());
    try {
      Map<String, long[]> byTarget = new TreeMap<>();
      try (Progress progress = Progress.start("shift " + settings.dataset(), "copies",
          sourceRows * targets.size(), spark.sparkContext(), done, settings.progressInterval())) {
        for (Row r : made.groupBy(col("split"), col("reject_reason").isNotNull().as("rejected")).count().collectAsList()) {
          byTarget.computeIfAbsent(r.getString(0), k -> new long[2])[r.getBoolean(1) ? 1 : 0] = r.getLong(2);
        }
      }
      long rejected = byTarget.values().stream().mapToLong(c -> c[1]).sum();
      if (rejected > 0) {
        Dataset<Row> quarantine = made.filter(col("reject_reason").isNotNull()).select(col("sample_id").as("record_id"),
            org.apache.spark.sql.functions.lit("image").as("kind"), col("split"), col("source_path"),
            col("reject_reason").as("reason"), col("reject_message").as("message"), col("byte_size"), col("ingest_run"));
        Tables.append(spark, quarantine, quarantineTable, Schemas.QUARANTINE, runId);
      }
      long accepted = byTarget.values().stream().mapToLong(c -> c[0]).sum();
      if (accepted > 0) {
        Dataset<Row> samples = made.filter(col("reject_reason").isNull()).select(
            java.util.Arrays.stream(Schemas.SAMPLES.fieldNames()).map(org.apache.spark.sql.functions::col)
                .toArray(org.apache.spark.sql.Column[]::new));
        Tables.append(spark, samples, Tables.samples(settings.dataset()), Schemas.SAMPLES, runId);
      }
      Map<String, Counts> counts = new LinkedHashMap<>();
      for (String target : targets) {
        long[] c = byTarget.getOrDefault(target, new long[2]);
        long inSamples = priorSamples.getOrDefault(target, 0L);
        long present = inSamples + priorQuarantined.getOrDefault(target, 0L);
        if (c[0] + c[1] + present != sourceRows) {
          throw new IllegalStateException(String.format(Locale.ROOT, "shift: %s has %,d source rows but %,d copies "
              + "were written, %,d quarantined and %,d were there before", target, sourceRows, c[0], c[1], present));
        }
        counts.put(target, new Counts(c[0], present, c[1]));
      }
      Map<String, Long> after = countBySplit(copiesPerSplit);
      for (String target : targets) {
        long expected = priorSamples.getOrDefault(target, 0L) + counts.get(target).written();
        if (after.getOrDefault(target, 0L) != expected) {
          throw new IllegalStateException("shift: split " + target + " of " + pinned.name() + " has "
              + after.getOrDefault(target, 0L) + " rows after the run, expected " + expected);
        }
      }
      Result result = new Result(runId, settings.dataset(), settings.split(), sourceRows, counts);
      record(result, pinned, started);
      return result;
    } finally {
      made.unpersist(false);
    }
  }

  private Map<String, Long> countBySplit(String query) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : spark.sql(query).collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  private void record(Result result, SampleTable pinned, Instant started) {
    Tables.createIfMissing(spark, Tables.INGEST_RUNS, Schemas.INGEST_RUNS, "", Map.of("format-version", "2"));
    long snapshot = Tables.iceberg(spark, pinned.name()).currentSnapshot().snapshotId();
    Row row = RowFactory.create(result.runId(), settings.dataset(), "shift",
        pinned.name() + "@" + pinned.snapshotId() + " split " + settings.split() + ": "
            + String.join(", ", result.targets().keySet()) + " (seed " + settings.seed() + ", scale "
            + (settings.scale() == null ? "auto" : settings.scale().code()) + ")",
        "full", Timestamp.from(started), Timestamp.from(Instant.now()), result.rowsIn(), result.alreadyPresent(),
        result.written(), result.quarantined(), 0L, snapshot);
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.INGEST_RUNS), Tables.INGEST_RUNS,
        Schemas.INGEST_RUNS, result.runId());
  }

  /** A copy's sample_id: from its split and its source's, as ingest's ids come from a split and a path. */
  static long copyId(String target, long sourceId) {
    return SampleIds.of(SampleIds.key(target, "shift-of-" + Long.toHexString(sourceId)));
  }

  /** Each source row once per target split, with the copy's id (the image stays a reference until mapped). */
  private static final class Pairs implements FlatMapFunction<Row, Row> {
    static final StructType SCHEMA = new StructType()
        .add("target_id", DataTypes.LongType, false)
        .add("target", DataTypes.StringType, false)
        .add("corruption", DataTypes.StringType, false)
        .add("severity", DataTypes.IntegerType, false)
        .add("sample_id", DataTypes.LongType, false)
        .add("label", DataTypes.StringType, true)
        .add("class_index", DataTypes.IntegerType, true)
        .add("image", DataTypes.BinaryType, false)
        .add("source_path", DataTypes.StringType, false)
        .add("image_id", DataTypes.LongType, true);
    static final ExpressionEncoder<Row> ENCODER = ExpressionEncoder.apply(SCHEMA);

    private final ShiftSettings settings;

    Pairs(ShiftSettings settings) {
      this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Row r) {
      List<Row> out = new ArrayList<>();
      long id = r.getLong(0);
      for (Corruption c : settings.corruptions()) {
        for (int severity : settings.severities()) {
          String target = settings.target(c, severity);
          out.add(RowFactory.create(copyId(target, id), target, c.code(), severity, id, r.get(1), r.get(2), r.get(3),
              r.get(4), r.get(5)));
        }
      }
      return out.iterator();
    }
  }

  /** Decodes, corrupts and encodes each pending copy, in the output schema. */
  private static final class Copies implements MapFunction<Row, Row> {
    private final ShiftSettings settings;
    private final String runId;
    private final LongAccumulator done;

    Copies(ShiftSettings settings, String runId, LongAccumulator done) {
      this.settings = settings;
      this.runId = runId;
      this.done = done;
    }

    @Override
    public Row call(Row r) {
      done.add(1);
      return copy(r);
    }

    private Row copy(Row r) {
      long targetId = r.getLong(0);
      String target = r.getString(1);
      Corruption corruption = Corruption.named(r.getString(2));
      int severity = r.getInt(3);
      long sourceId = r.getLong(4);
      byte[] bytes = (byte[]) r.get(7);
      String from = settings.split() + "/" + sourceId;
      BufferedImage image;
      String problem;
      try {
        image = Pixels.decode(bytes);
        problem = image == null ? "no decoder reads these bytes" : null;
      } catch (Exception | LinkageError e) {
        image = null;
        problem = String.valueOf(e.getMessage());
      }
      if (image == null) {
        return RowFactory.create(targetId, target, r.get(5), r.get(6), new byte[0], "unknown", 0, 0, 0,
            (long) bytes.length, "", "shift " + corruption.code() + "-" + severity + " of " + from + " from "
            + r.getString(8), r.get(9), null, runId, QuarantineReason.CORRUPT.code(),
            "shift: the source sample " + from + " cannot be decoded: " + problem);
      }
      Picture picture = Picture.of(image);
      Corruption.Scale scale = settings.scale(picture.height(), picture.width());
      SplittableRandom rnd = new SplittableRandom(seed(settings.seed(), sourceId, corruption, severity));
      Corruption.Encoded encoded = corruption.encode(picture, corruption.parameters(scale, severity), rnd);
      return RowFactory.create(targetId, target, r.get(5), r.get(6), encoded.bytes(), encoded.format(),
          picture.width(), picture.height(), picture.channels(), (long) encoded.bytes().length,
          SampleIds.sha256Hex(encoded.bytes()), "shift " + corruption.code() + "-" + severity + " (" + scale.code()
          + ", seed " + settings.seed() + ") of " + from + " from " + r.getString(8), r.get(9), null, runId, null, null);
    }
  }

  /**
   * The generator's seed for one copy: a hash of (seed, source sample_id, corruption name, severity); names, not
   * enum positions, so that a new corruption changes no existing copy.
   */
  static long seed(long seed, long sampleId, Corruption corruption, int severity) {
    long h = seed * 0x9E3779B97F4A7C15L + sampleId;
    h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL + corruption.code().hashCode() * 31L + severity;
    h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return h ^ (h >>> 33);
  }
}
