package io.cvpipe.eval;

import io.cvpipe.common.metrics.ClassificationMetrics;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.spark.Progress;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engines;
import io.cvpipe.eval.report.EvalReport;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Snapshot;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * {@code cvpipe eval}: scores an exported model on one split of a pinned snapshot of the samples table as a
 * Spark job (batches per partition, the model loaded once per executor), writes one row to
 * {@code cvpipe.runs.eval_metrics} and one per class to {@code cvpipe.runs.eval_class_metrics}, and the report
 * {@code <reports-dir>/<run>/index.html}. With {@code eval.compare} it scores nothing and compares two earlier
 * evaluations from those tables.
 */
public final class EvalJob {

  private static final Logger LOG = LogManager.getLogger(EvalJob.class);

  private final SparkSession spark;
  private final EvalSettings settings;

  public EvalJob(SparkSession spark, EvalSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /** What an evaluation produced. */
  public record Result(String evalId, String run, ClassificationMetrics metrics, long undecodable, Path report) {
    public String summary() {
      return String.format(Locale.ROOT, "eval %s: %,d images, top-1 %.4f, top-5 %.4f, NLL %.4f, ECE %.4f%s; report %s",
          run, metrics.images(), metrics.top1(), metrics.top5(), metrics.nll(), metrics.ece(),
          undecodable == 0 ? "" : String.format(Locale.ROOT, " (%,d undecodable, not scored)", undecodable),
          report.resolve("index.html"));
    }
  }

  /** Compares two evaluations; returns the comparison report's directory. */
  public Path compare() {
    EvalRecords records = new EvalRecords(spark);
    String a = settings.compare().get(0);
    String b = settings.compare().get(1);
    Path dir = settings.comparisonDirectory();
    EvalReport.compare(dir, records.latest(a), records.latest(b));
    return dir;
  }

  public Result run() {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    ModelInput model = settings.modelInput(conf);
    SampleTable pinned = SampleTable.pinned(spark, settings.dataset());
    String samples = pinned.name();
    List<String> labels = pinned.labels();
    List<String> names = pinned.classNames();
    pinned.requireModelFits(model, () -> Engines.logitsPerImage(model.directory(), model.height(), model.width(),
        model.channels()), "eval.model", "Evaluate it on the dataset it was trained on, or export a model with one "
        + "output per class");
    Snapshot snapshot = pinned.snapshot();
    long rows = pinned.requireRows(settings.split(), "eval.split");
    String run = !settings.run().isEmpty() ? settings.run()
        : model.trainingRun() != null ? model.trainingRun() : new org.apache.hadoop.fs.Path(model.home()).getName();
    LOG.info(String.format(Locale.ROOT, "eval %s: %s on %s split %s at snapshot %d: %,d images, %d classes, input %dx%dx%d, "
        + "centre crop %.3f of the shorter side", run, model.home(), samples, settings.split(), snapshot.snapshotId(), rows,
        labels.size(), model.height(), model.width(), model.channels(), model.cropFraction()));

    Dataset<Row> split = pinned.rows("sample_id, class_index, image", List.of(settings.split()));
    LongAccumulator done = spark.sparkContext().longAccumulator("eval images");
    long start = System.nanoTime();
    PartialResult result;
    try (Progress progress = Progress.start("eval " + run, "images", rows, done::value, Duration.ofSeconds(10))) {
      result = split.javaRDD()
          .mapPartitions(new EvalPartition(model, new SerializableConfiguration(conf), labels.size(), settings.batchSize(), settings.misclassified(), done))
          .reduce(PartialResult::merge);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (result.undecodable > 0) {
      LOG.warn(String.format(Locale.ROOT, "eval %s: %,d images could not be decoded and were not scored (sample_ids %s%s)",
          run, result.undecodable, result.undecodableIds, result.undecodable > result.undecodableIds.size() ? ", ..." : ""));
    }
    if (result.metrics.images() + result.undecodable != rows) {
      throw new IllegalStateException("eval " + run + ": " + rows + " rows planned but " + result.metrics.images()
          + " scored and " + result.undecodable + " undecodable");
    }
    String evalId = UUID.randomUUID().toString();
    write(evalId, run, model, snapshot.snapshotId(), pinned.classRows(), result, seconds);
    Path report = Path.of(settings.reportsDir(), run);
    EvalRecords records = new EvalRecords(spark);
    EvalReport.single(report, records.byId(evalId), result.misclassified, names);
    return new Result(evalId, run, result.metrics, result.undecodable, report);
  }

  private void write(String evalId, String run, ModelInput model, long snapshotId, List<Row> classes,
      PartialResult result, double seconds) {
    ClassificationMetrics m = result.metrics;
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> bins = Arrays.stream(m.reliability()).map(b -> RowFactory.create(b.index(), b.lower(), b.upper(),
        b.count(), Double.isNaN(b.confidence()) ? null : b.confidence(), Double.isNaN(b.accuracy()) ? null : b.accuracy()))
        .toList();
    Row row = RowFactory.create(evalId, run, model.home(), model.trainingRun(), model.architecture(),
        settings.dataset(), settings.split(), snapshotId, m.images(), result.undecodable, m.top1(), m.top5(), m.nll(),
        m.ece(), bins, seconds, m.images() / Math.max(1e-9, seconds), now);
    Tables.createIfMissing(spark, Tables.EVAL_METRICS, Schemas.EVAL_METRICS, "", Map.of("format-version", "2"));
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.EVAL_METRICS), Tables.EVAL_METRICS,
        Schemas.EVAL_METRICS, evalId);
    List<Row> classRows = new ArrayList<>();
    for (int c = 0; c < classes.size(); c++) {
      long images = m.imagesOf(c);
      List<Long> predicted = Arrays.stream(m.confusionRow(c)).boxed().toList();
      classRows.add(RowFactory.create(evalId, run, settings.dataset(), settings.split(), c, classes.get(c).getString(0),
          classes.get(c).getString(1), images,
          m.correctOf(c), images == 0 ? null : m.correctOf(c) / (double) images, predicted, now));
    }
    Tables.createIfMissing(spark, Tables.EVAL_CLASS_METRICS, Schemas.EVAL_CLASS_METRICS, "", Map.of("format-version", "2"));
    Tables.append(spark, spark.createDataFrame(classRows, Schemas.EVAL_CLASS_METRICS), Tables.EVAL_CLASS_METRICS,
        Schemas.EVAL_CLASS_METRICS, evalId);
  }
}
