package io.cvpipe.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.cvpipe.common.Errors;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.common.spark.Progress;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.ingest.internal.CocoSource;
import io.cvpipe.ingest.internal.IdxSource;
import io.cvpipe.ingest.internal.ImageNetFolderSource;
import io.cvpipe.ingest.internal.ImageNetTarSource;
import io.cvpipe.ingest.internal.RecordProcessor;
import io.cvpipe.ingest.internal.SourceEntry;
import io.cvpipe.ingest.internal.SourcePlan;
import io.cvpipe.ingest.internal.WorkUnit;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.transforms.Transform;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.SerializableFunction;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code cvpipe ingest}: plans the source on the driver, skips what the tables already hold, validates the
 * rest in Spark tasks (each image read and decoded once), then commits quarantine rows and sample rows as
 * one Iceberg append each. A run that finds nothing new commits nothing; a run killed midway leaves every
 * table at a committed snapshot and the next run finishes the work.
 */
public final class IngestJob {

  private static final Logger LOG = LogManager.getLogger(IngestJob.class);

  private final SparkSession spark;
  private final IngestSettings settings;

  public IngestJob(SparkSession spark, IngestSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  private final Map<String, String> phases = new java.util.LinkedHashMap<>();
  private long phaseStart = System.nanoTime();

  private void phase(String name) {
    long now = System.nanoTime();
    phases.put(name, String.format(Locale.ROOT, "%.2f", (now - phaseStart) / 1e9));
    phaseStart = now;
  }

  public IngestReport run() {
    phaseStart = System.nanoTime();
    Instant started = Instant.now();
    long startNanos = System.nanoTime();
    String runId = "ingest-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started)
        + "-" + UUID.randomUUID().toString().substring(0, 8);
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    String dataset = settings.dataset();

    SourcePlan plan = switch (settings.format()) {
      case IMAGENET_FOLDER -> ImageNetFolderSource.plan(settings, hadoopConf);
      case IMAGENET_TAR -> ImageNetTarSource.plan(settings, hadoopConf);
      case COCO -> CocoSource.plan(settings, hadoopConf);
      case IDX -> IdxSource.plan(settings, hadoopConf);
    };
    LOG.info(String.format(Locale.ROOT, "ingest %s: found %,d files%s (%,d MB) in %d classes under %s",
        dataset, plan.entries().size(), plan.streams().isEmpty() ? "" : " and " + plan.streams().size() + " inner tars",
        plan.totalBytes() >> 20, plan.classes().size(), settings.source()));

    phase("plan");
    createTables(plan);
    phase("tables");
    Map<String, Integer> classIndex = updateClasses(plan, runId);
    phase("classes");
    long[] existing = existingIds();
    phase("existing ids");
    List<SourceEntry> pending = new ArrayList<>();
    for (SourceEntry entry : plan.entries()) {
      if (Arrays.binarySearch(existing, entry.id()) < 0) {
        pending.add(withClassIndex(entry, classIndex));
      }
    }
    long alreadyPresent = plan.entries().size() - pending.size();
    if (alreadyPresent > 0) {
      LOG.info(String.format(Locale.ROOT, "ingest %s: %,d of them already in the tables, %,d new",
          dataset, alreadyPresent, pending.size()));
    }
    List<WorkUnit> units = new ArrayList<>();
    if (settings.format() == IngestFormat.IDX) { // tiny images in a few big files: read each file once per task
      fileUnits(pending, Integer.MAX_VALUE).forEach(batch -> units.add(new WorkUnit.IdxBatch(batch.entries())));
    } else {
      units.addAll(fileUnits(pending, settings.filesPerTask()));
    }
    for (WorkUnit.TarStream stream : plan.streams()) {
      units.add(stream.withClassIndex(classIndex.get(stream.label())));
    }

    Counts counts = units.isEmpty() ? new Counts(0, 0, 0, 0, new TreeMap<>())
        : validateAndWrite(units, pending.size(), existing, runId, hadoopConf);
    alreadyPresent += counts.presentInStreams;
    long quarantined = counts.reasons.values().stream().mapToLong(Long::longValue).sum();
    long rowsIn = plan.entries().size() + counts.streamed;
    IngestReport report = new IngestReport(runId, dataset, rowsIn, alreadyPresent, counts.written,
        quarantined, counts.annotations, counts.reasons, (System.nanoTime() - startNanos) / 1e9);
    if (report.rowsIn() != report.alreadyPresent() + report.samplesWritten() + report.quarantined()) {
      throw new IllegalStateException("ingest lost records: " + report.summary());
    }
    recordRun(report, started);
    phase("run record");
    LOG.info("ingest " + dataset + ": seconds per phase " + phases);
    return report;
  }

  /**
   * Cuts the pending files into tasks that each hold one (split, bucket) partition of the samples table, so
   * the write needs no shuffle of image bytes: every task writes its own file. A task holds at most
   * ingest.target-file-size of input, and there are at least twice as many tasks as cores.
   */
  private List<WorkUnit.FileBatch> fileUnits(List<SourceEntry> pending, int filesPerTask) {
    SerializableFunction<Long, Integer> bucket = bucketFunction();
    Map<String, List<SourceEntry>> partitions = new TreeMap<>();
    long total = 0;
    for (SourceEntry e : pending) {
      partitions.computeIfAbsent(e.split() + "/" + bucket.apply(e.id()), k -> new ArrayList<>()).add(e);
      total += e.length();
    }
    int parallelism = spark.sparkContext().defaultParallelism();
    long perTask = Math.max(1, Math.min(settings.targetFileSize(), total / (2L * parallelism)));
    int maxFiles = Math.max(1, (int) Math.min(filesPerTask, Math.ceil(pending.size() / (2.0 * parallelism))));
    List<WorkUnit.FileBatch> units = new ArrayList<>();
    for (List<SourceEntry> partition : partitions.values()) {
      List<SourceEntry> chunk = new ArrayList<>();
      long bytes = 0;
      for (SourceEntry e : partition) {
        if (!chunk.isEmpty() && (bytes + e.length() > perTask || chunk.size() >= maxFiles)) {
          units.add(new WorkUnit.FileBatch(chunk));
          chunk = new ArrayList<>();
          bytes = 0;
        }
        chunk.add(e);
        bytes += e.length();
      }
      if (!chunk.isEmpty()) {
        units.add(new WorkUnit.FileBatch(chunk));
      }
    }
    return units;
  }

  /** Iceberg's own bucket transform of the samples table, so the driver groups rows as the table will. */
  @SuppressWarnings("unchecked")
  private SerializableFunction<Long, Integer> bucketFunction() {
    Table table = Tables.iceberg(spark, Tables.samples(settings.dataset()));
    for (PartitionField field : table.spec().fields()) {
      if (field.transform().toString().startsWith("bucket")) {
        return ((Transform<Long, Integer>) field.transform()).bind(Types.LongType.get());
      }
    }
    return id -> 0;
  }

  private static SourceEntry withClassIndex(SourceEntry entry, Map<String, Integer> classIndex) {
    SourceEntry out = entry.withClassIndex(entry.label() == null ? null : classIndex.get(entry.label()));
    if (entry.annotations() != null && !entry.annotations().isEmpty()) {
      out = out.withAnnotations(entry.imageId(), entry.annotations().stream()
          .map(a -> a.withClassIndex(classIndex.get(String.valueOf(a.categoryId())))).toList());
    }
    return out;
  }

  /** What the Spark job found: rows written, quarantined by reason, and records of streamed tars. */
  private record Counts(long written, long streamed, long presentInStreams, long annotations, Map<String, Long> reasons) {}

  private Counts validateAndWrite(List<WorkUnit> units, long plannedFiles, long[] existing, String runId,
      Configuration hadoopConf) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    LongAccumulator done = spark.sparkContext().longAccumulator("cvpipe.ingest.files");
    RecordProcessor processor = new RecordProcessor(runId, settings.validation(), settings.maxPixels(),
        settings.maxFileSize(), new SerializableConfiguration(hadoopConf), done);
    boolean streams = units.stream().anyMatch(u -> u instanceof WorkUnit.TarStream);
    Broadcast<long[]> known = jsc.broadcast(streams ? existing : new long[0]);
    // Kept for the writes below: images are read and decoded once, whatever the commits need. As Java
    // objects: no columnar encoding of the image bytes, and one cached partition per unit.
    JavaRDD<Row> rows = jsc.parallelize(units, units.size())
        .flatMap(unit -> processor.process(unit, known.value()))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> processed = spark.createDataFrame(rows, RecordProcessor.SCHEMA);
    long total = streams ? 0 : plannedFiles; // members of inner tars are only counted as they stream by
    try (Progress progress = Progress.start("ingest " + settings.dataset(), "files", total, spark.sparkContext(), done,
        settings.progressInterval())) {
      Map<String, Long> reasons = new TreeMap<>(rows.aggregate(new HashMap<String, Long>(),
          (counts, row) -> {
            counts.merge(row.isNullAt(REASON) ? "" : row.getString(REASON), 1L, Long::sum);
            return counts;
          },
          (a, b) -> {
            b.forEach((k, v) -> a.merge(k, v, Long::sum));
            return a;
          }));
      phase("validate");
      long accepted = reasons.getOrDefault("", 0L);
      reasons.remove("");
      long present = reasons.getOrDefault(RecordProcessor.ALREADY_PRESENT, 0L);
      reasons.remove(RecordProcessor.ALREADY_PRESENT);
      long emitted = accepted + present + reasons.values().stream().mapToLong(Long::longValue).sum();
      // quarantine first: if the job dies between the two commits, the re-run only has samples left to do
      if (!reasons.isEmpty()) {
        Dataset<Row> quarantine = processed.filter(col("reject_reason").isNotNull()
            .and(col("reject_reason").notEqual(RecordProcessor.ALREADY_PRESENT))).select(
            col("sample_id").as("record_id"),
            when(col("reject_reason").isin(ANNOTATION_REASONS), lit("annotation")).otherwise(lit("image")).as("kind"),
            col("split"), col("source_path"),
            col("reject_reason").as("reason"), col("reject_message").as("message"), col("byte_size"), col("ingest_run"));
        Tables.append(spark, quarantine, Tables.quarantine(settings.dataset()), Schemas.QUARANTINE, runId);
        phase("write quarantine");
      }
      long annotations = accepted > 0 && settings.format() == IngestFormat.COCO ? writeAnnotations(processed, runId) : 0;
      if (accepted > 0) {
        // straight from the cached rows to the table's schema: one conversion of the image bytes
        JavaRDD<Row> samples = rows.filter(r -> r.isNullAt(REASON)).map(IngestJob::sampleColumns);
        // planned files arrive one partition per task: no shuffle; streamed tars need Iceberg's hash distribution
        Tables.append(spark.createDataFrame(samples, Schemas.SAMPLES), Tables.samples(settings.dataset()), runId,
            streams ? Map.of() : Map.of("distribution-mode", "none"));
        phase("write samples");
      }
      LOG.info(progress.line());
      return new Counts(accepted, emitted - plannedFiles, present, annotations, reasons);
    } finally {
      rows.unpersist(false);
    }
  }

  private static final int REASON = RecordProcessor.SCHEMA.fieldIndex("reject_reason");

  /** The samples columns of a processed row (they come first, in the same order). */
  private static Row sampleColumns(Row processed) {
    Object[] values = new Object[Schemas.SAMPLES.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = processed.get(i);
    }
    return RowFactory.create(values);
  }

  private static final Object[] ANNOTATION_REASONS = {QuarantineReason.UNKNOWN_IMAGE.code(),
      QuarantineReason.UNKNOWN_CATEGORY.code(), QuarantineReason.BAD_ANNOTATION.code()};

  /**
   * The annotations of accepted images, flat, for queries (they are nested in the sample rows for training).
   * Written before the samples and without the ids already there, so that a run killed between the two
   * commits neither loses nor doubles them.
   */
  private long writeAnnotations(Dataset<Row> processed, String runId) {
    String table = Tables.annotations(settings.dataset());
    Dataset<Row> flat = processed
        .filter(col("reject_reason").isNull().and(col("annotations").isNotNull()))
        .select(col("sample_id"), col("split"), col("image_id"), explode(col("annotations")).as("a"))
        .select(col("sample_id"), col("split"), col("image_id"), col("a.*"))
        .join(spark.table(table).select("annotation_id"), CollectionConverters.asScala(List.of("annotation_id")).toSeq(), "left_anti")
        .select(Arrays.stream(Schemas.ANNOTATIONS.fieldNames()).map(functions::col).toArray(Column[]::new));
    long count = flat.count();
    if (count > 0) {
      Tables.append(spark, flat, table, Schemas.ANNOTATIONS, runId);
    }
    return count;
  }

  private void createTables(SourcePlan plan) {
    String dataset = settings.dataset();
    int shards = settings.shards() > 0 ? settings.shards()
        : (int) Math.max(1, Math.min(4096, Math.ceil((double) plan.totalBytes() / settings.targetFileSize())));
    Map<String, String> props = Map.of("format-version", "2", "write.distribution-mode", "hash");
    if (Tables.exists(spark, Tables.samples(dataset))) {
      if (settings.shards() > 0) {
        Table table = Tables.iceberg(spark, Tables.samples(dataset));
        if (!table.spec().toString().contains("bucket[" + settings.shards() + "]")) {
          LOG.warn("ingest.shards = " + settings.shards() + " ignored: " + Tables.samples(dataset)
              + " already exists with partitioning " + table.spec() + " (fixed at creation)");
        }
      }
    } else {
      Tables.createIfMissing(spark, Tables.samples(dataset), Schemas.SAMPLES,
          "split, bucket(" + shards + ", sample_id)", props);
    }
    Tables.createIfMissing(spark, Tables.quarantine(dataset), Schemas.QUARANTINE, "", Map.of("format-version", "2"));
    Tables.createIfMissing(spark, Tables.classes(dataset), Schemas.CLASSES, "", Map.of("format-version", "2"));
    if (settings.format() == IngestFormat.COCO) {
      Tables.createIfMissing(spark, Tables.annotations(dataset), Schemas.ANNOTATIONS, "split", Map.of("format-version", "2"));
    }
    Tables.createIfMissing(spark, Tables.INGEST_RUNS, Schemas.INGEST_RUNS, "", Map.of("format-version", "2"));
  }

  /**
   * Numbers the classes in sorted label order (the ImageNet convention) and appends the ones the table does
   * not have yet. New labels that sort before known ones would renumber existing rows: that is refused.
   */
  private Map<String, Integer> updateClasses(SourcePlan plan, String runId) {
    String table = Tables.classes(settings.dataset());
    Map<String, Integer> known = new HashMap<>();
    for (Row r : spark.table(table).select("label", "class_index").collectAsList()) {
      known.put(r.getString(0), r.getInt(1));
    }
    Map<String, Integer> index = new HashMap<>();
    TreeMap<String, String> all = new TreeMap<>(SourcePlan.LABEL_ORDER);
    all.putAll(plan.classes());
    known.keySet().forEach(label -> all.putIfAbsent(label, null));
    int i = 0;
    List<Row> added = new ArrayList<>();
    List<String> renumbered = new ArrayList<>();
    for (Map.Entry<String, String> e : all.entrySet()) {
      Integer before = known.get(e.getKey());
      if (before == null) {
        added.add(RowFactory.create(i, e.getKey(), e.getValue()));
      } else if (before != i) {
        renumbered.add(e.getKey() + " " + before + "->" + i);
      }
      index.put(e.getKey(), i++);
    }
    if (!renumbered.isEmpty()) {
      throw Errors.state(table + " already numbers " + known.size() + " classes, and the new labels "
          + added.stream().map(r -> r.getString(1)).limit(5).toList() + " sort before some of them, which would "
          + "change class_index of existing samples (" + String.join(", ", renumbered.subList(0, Math.min(5, renumbered.size())))
          + "). Ingest into a new dataset (--set dataset=...) or drop cvpipe." + settings.dataset() + " first");
    }
    if (!added.isEmpty()) {
      Tables.append(spark, spark.createDataFrame(added, Schemas.CLASSES), table, Schemas.CLASSES, runId);
    }
    return index;
  }

  /** Ids already in samples or quarantine, sorted: a re-run skips them. */
  private long[] existingIds() {
    String dataset = settings.dataset();
    Dataset<Row> ids = spark.table(Tables.samples(dataset)).select("sample_id")
        .union(spark.table(Tables.quarantine(dataset)).select("record_id"));
    long[] out = ids.collectAsList().stream().mapToLong(r -> r.getLong(0)).toArray();
    Arrays.sort(out);
    return out;
  }

  private void recordRun(IngestReport report, Instant started) {
    Snapshot snapshot = Tables.iceberg(spark, Tables.samples(settings.dataset())).currentSnapshot();
    Row row = RowFactory.create(report.runId(), report.dataset(), settings.format().code(), settings.source(),
        settings.validation().code(), Timestamp.from(started), Timestamp.from(Instant.now()), report.rowsIn(),
        report.alreadyPresent(), report.samplesWritten(), report.quarantined(), report.annotationsWritten(),
        snapshot == null ? null : snapshot.snapshotId());
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.INGEST_RUNS), Tables.INGEST_RUNS,
        Schemas.INGEST_RUNS, report.runId());
  }
}
