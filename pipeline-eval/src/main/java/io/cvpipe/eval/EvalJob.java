package io.cvpipe.eval;

import io.cvpipe.common.metrics.ClassificationMetrics;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.spark.Progress;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engines;
import io.cvpipe.common.Errors;
import io.cvpipe.eval.report.EvalReport;
import io.cvpipe.eval.report.Evaluation;
import io.cvpipe.eval.report.Robustness;
import io.cvpipe.eval.shift.ShiftedSplit;
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

  /** What an evaluation produced; {@code robustness} is null without eval.shifts. */
  public record Result(String evalId, String run, ClassificationMetrics metrics, long undecodable, Path report,
      String robustness) {
    public String summary() {
      return String.format(Locale.ROOT, "eval %s: %,d images, top-1 %.4f, top-5 %.4f, NLL %.4f, ECE %.4f%s%s; report %s",
          run, metrics.images(), metrics.top1(), metrics.top5(), metrics.nll(), metrics.ece(),
          undecodable == 0 ? "" : String.format(Locale.ROOT, " (%,d undecodable, not scored)", undecodable),
          robustness == null ? "" : "; " + robustness, report.resolve("index.html"));
    }
  }

  /** Compares two evaluations; returns the comparison report's directory. */
  public Path compare() {
    EvalRecords records = new EvalRecords(spark);
    Evaluation a = records.latest(settings.compare().get(0));
    Evaluation b = records.latest(settings.compare().get(1));
    Path dir = settings.comparisonDirectory();
    EvalReport.compare(dir, a, b, records.robustness(a), records.robustness(b));
    return dir;
  }

  public Result run() {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    List<ModelInput> models = settings.modelInputs(conf);
    ModelInput model = models.get(0);
    SampleTable pinned = SampleTable.pinned(spark, settings.dataset());
    String samples = pinned.name();
    List<String> labels = pinned.labels();
    List<String> names = pinned.classNames();
    for (ModelInput m : models) {
      pinned.requireModelFits(m, () -> Engines.logitsPerImage(m.directory(), m.height(), m.width(), m.channels()),
          "eval.model", "Evaluate it on the dataset it was trained on, or export a model with one output per class");
    }
    Snapshot snapshot = pinned.snapshot();
    long rows = pinned.requireRows(settings.split(), "eval.split");
    List<ShiftedSplit> shifted = List.of();
    if (settings.shifts()) {
      shifted = ShiftedSplit.of(settings.split(), pinned.splitNames());
      if (shifted.isEmpty()) {
        throw Errors.setting("eval.shifts", samples + " (snapshot " + snapshot.snapshotId() + ") has no corrupted "
            + "copies of split '" + settings.split() + "': make them first with cvpipe shift --set dataset="
            + settings.dataset() + " --set shift.split=" + settings.split());
      }
    }
    String run = !settings.run().isEmpty() ? settings.run()
        : model.trainingRun() != null ? model.trainingRun() : new org.apache.hadoop.fs.Path(model.home()).getName();
    EvalRecords records = new EvalRecords(spark);
    Robustness baseline = settings.baseline().isEmpty() ? null : records.robustness(settings.baseline(), settings.split());
    if (baseline != null && baseline.isEmpty()) {
      throw Errors.setting("eval.baseline", "run '" + settings.baseline() + "' has no evaluations on corrupted copies of "
          + "split '" + settings.split() + "' in " + Tables.EVAL_METRICS + ": evaluate it with --set eval.shifts=true");
    }
    LOG.info(String.format(Locale.ROOT, "eval %s: %s on %s split %s at snapshot %d: %,d images, %d classes, input %dx%dx%d, "
        + "centre crop %.3f of the shorter side%s", run, home(models), samples, settings.split(), snapshot.snapshotId(), rows,
        labels.size(), model.height(), model.width(), model.channels(), model.cropFraction(),
        shifted.isEmpty() ? "" : ", then " + shifted.size() + " corrupted copies of it"));

    // the corrupted copies first, so that the clean split's row is the run's latest
    if (!shifted.isEmpty()) {
      evaluateShifted(pinned, models, run, shifted, labels.size());
    }
    Scored clean = score(pinned, models, run, List.of(settings.split()), new long[] {rows}, labels.size(),
        settings.misclassified());
    PartialResult result = clean.results[0];
    String evalId = UUID.randomUUID().toString();
    List<Row> classRows = new ArrayList<>();
    Row metricsRow = evaluationRow(evalId, run, settings.split(), models, snapshot.snapshotId(), pinned.classRows(),
        result, clean.seconds, classRows);
    append(List.of(metricsRow), classRows, evalId);
    Path report = Path.of(settings.reportsDir(), run);
    Evaluation evaluation = records.byId(evalId);
    Robustness robustness = shifted.isEmpty() ? null : records.robustness(evaluation);
    EvalReport.single(report, evaluation, result.misclassified, names, robustness, baseline);
    return new Result(evalId, run, result.metrics, result.undecodable, report,
        robustness == null ? null : robustness.summary(baseline));
  }

  /**
   * Scores every corrupted copy in one Spark job (one scan, the model loaded once per executor) and writes their
   * rows in one commit per table. Each copy's seconds are the job's, shared out by its images.
   */
  private void evaluateShifted(SampleTable pinned, List<ModelInput> models, String run, List<ShiftedSplit> shifted,
      int classes) {
    List<String> splits = shifted.stream().map(ShiftedSplit::split).toList();
    long[] rows = pinned.rowCounts(splits);
    Scored scored = score(pinned, models, run + " on " + splits.size() + " corrupted copies", splits, rows, classes, 0);
    long total = Arrays.stream(rows).sum();
    List<Row> metricsRows = new ArrayList<>();
    List<Row> classRows = new ArrayList<>();
    for (int s = 0; s < splits.size(); s++) {
      PartialResult r = scored.results[s];
      metricsRows.add(evaluationRow(UUID.randomUUID().toString(), run, splits.get(s), models, pinned.snapshotId(),
          pinned.classRows(), r, scored.seconds * rows[s] / total, classRows));
      LOG.info(String.format(Locale.ROOT, "eval %s on %s: top-1 %.4f, ECE %.4f", run, splits.get(s),
          r.metrics.top1(), r.metrics.ece()));
    }
    append(metricsRows, classRows, UUID.randomUUID().toString());
  }

  private record Scored(PartialResult[] results, double seconds) {}

  /**
   * Scores {@code splits} of the pinned snapshot ({@code rows[s]} rows each) as one Spark job, keeping up to
   * {@code misclassified} wrong images of each.
   */
  private Scored score(SampleTable pinned, List<ModelInput> models, String what, List<String> splits, long[] rows,
      int classes, int misclassified) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Dataset<Row> images = pinned.rows("sample_id, class_index, image, split", splits);
    LongAccumulator done = spark.sparkContext().longAccumulator("eval images");
    long start = System.nanoTime();
    PartialResult[] results;
    try (Progress progress = Progress.start("eval " + what, "images", Arrays.stream(rows).sum(),
        spark.sparkContext(), done, Duration.ofSeconds(10))) {
      results = images.javaRDD()
          .mapPartitions(new EvalPartition(models, new SerializableConfiguration(conf), classes, settings.batchSize(),
              misclassified, splits, done))
          .reduce(PartialResult::mergeAll);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    for (int s = 0; s < splits.size(); s++) {
      PartialResult result = results[s];
      String of = splits.size() == 1 ? "eval " + what : "eval " + what + ", " + splits.get(s);
      if (result.undecodable > 0) {
        LOG.warn(String.format(Locale.ROOT, "%s: %,d images could not be decoded and were not scored (sample_ids %s%s)",
            of, result.undecodable, result.undecodableIds,
            result.undecodable > result.undecodableIds.size() ? ", ..." : ""));
      }
      if (result.metrics.images() + result.undecodable != rows[s]) {
        throw new IllegalStateException(of + ": " + rows[s] + " rows planned but " + result.metrics.images()
            + " scored and " + result.undecodable + " undecodable");
      }
    }
    return new Scored(results, seconds);
  }

  /** eval_metrics' model: the SavedModel directory, or an ensemble's as a list. */
  private static String home(List<ModelInput> models) {
    return models.size() == 1 ? models.get(0).home()
        : models.stream().map(ModelInput::home).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
  }

  /** eval_metrics' architecture: the model's, or "ensemble(a + b)" (null for a single foreign model). */
  private static String architecture(List<ModelInput> models) {
    return models.size() == 1 ? models.get(0).architecture() : models.stream()
        .map(m -> m.architecture() == null ? "foreign" : m.architecture())
        .collect(java.util.stream.Collectors.joining(" + ", "ensemble(", ")"));
  }

  /** One evaluation's eval_metrics row; its eval_class_metrics rows are added to {@code classRows}. */
  private Row evaluationRow(String evalId, String run, String split, List<ModelInput> models, long snapshotId,
      List<Row> classes, PartialResult result, double seconds, List<Row> classRows) {
    ClassificationMetrics m = result.metrics;
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> bins = Arrays.stream(m.reliability()).map(b -> RowFactory.create(b.index(), b.lower(), b.upper(),
        b.count(), Double.isNaN(b.confidence()) ? null : b.confidence(), Double.isNaN(b.accuracy()) ? null : b.accuracy()))
        .toList();
    Row row = RowFactory.create(evalId, run, home(models), models.size() == 1 ? models.get(0).trainingRun() : null,
        architecture(models),
        settings.dataset(), split, snapshotId, m.images(), result.undecodable, m.top1(), m.top5(), m.nll(),
        m.ece(), bins, seconds, m.images() / Math.max(1e-9, seconds), now);
    for (int c = 0; c < classes.size(); c++) {
      long images = m.imagesOf(c);
      List<Long> predicted = Arrays.stream(m.confusionRow(c)).boxed().toList();
      classRows.add(RowFactory.create(evalId, run, settings.dataset(), split, c, classes.get(c).getString(0),
          classes.get(c).getString(1), images,
          m.correctOf(c), images == 0 ? null : m.correctOf(c) / (double) images, predicted, now));
    }
    return row;
  }

  /** The rows of one or more evaluations, one commit per table ({@code commitId}: the snapshots' run id). */
  private void append(List<Row> metricsRows, List<Row> classRows, String commitId) {
    Tables.createIfMissing(spark, Tables.EVAL_METRICS, Schemas.EVAL_METRICS, "", Map.of("format-version", "2"));
    Tables.append(spark, spark.createDataFrame(metricsRows, Schemas.EVAL_METRICS), Tables.EVAL_METRICS,
        Schemas.EVAL_METRICS, commitId);
    Tables.createIfMissing(spark, Tables.EVAL_CLASS_METRICS, Schemas.EVAL_CLASS_METRICS, "", Map.of("format-version", "2"));
    Tables.append(spark, spark.createDataFrame(classRows, Schemas.EVAL_CLASS_METRICS), Tables.EVAL_CLASS_METRICS,
        Schemas.EVAL_CLASS_METRICS, commitId);
  }
}
