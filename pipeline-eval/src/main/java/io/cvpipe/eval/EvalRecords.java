package io.cvpipe.eval;

import io.cvpipe.common.Errors;
import io.cvpipe.common.table.Tables;
import io.cvpipe.eval.report.Evaluation;
import io.cvpipe.eval.report.Robustness;
import io.cvpipe.eval.shift.ShiftedSplit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Reads evaluations back from cvpipe.runs.eval_metrics, eval_class_metrics and train_metrics. */
final class EvalRecords {

  private final SparkSession spark;

  EvalRecords(SparkSession spark) {
    this.spark = spark;
  }

  Evaluation byId(String evalId) {
    return one("eval_id = :value", evalId, "no evaluation with eval_id " + evalId + " in " + Tables.EVAL_METRICS);
  }

  /** The latest evaluation named {@code run} of a split that is not a corrupted copy (those come with it). */
  Evaluation latest(String run) {
    if (!Tables.exists(spark, Tables.EVAL_METRICS)) {
      throw Errors.setting("eval.compare", Tables.EVAL_METRICS + " does not exist yet: evaluate the models first "
          + "(cvpipe eval --set eval.run=" + run + " ...)");
    }
    List<Row> rows = spark.sql("SELECT eval_id, split FROM " + Tables.EVAL_METRICS + " WHERE run = :run "
        + "ORDER BY evaluated_at DESC", Map.of("run", run)).collectAsList();
    List<String> splits = rows.stream().map(r -> r.getString(1)).distinct().toList();
    for (Row r : rows) {
      String split = r.getString(1);
      if (splits.stream().noneMatch(base -> ShiftedSplit.of(base, split) != null)) {
        return byId(r.getString(0));
      }
    }
    throw Errors.state("eval.compare: no evaluation named '" + run + "' in " + Tables.EVAL_METRICS
        + ". Known: " + spark.sql("SELECT collect_set(run) FROM " + Tables.EVAL_METRICS).first().getList(0));
  }

  /** The corrupted copies of {@code e}'s split that its run was evaluated on, the latest of each (empty: none). */
  Robustness robustness(Evaluation e) {
    return robustness(e.run(), e.split(), e.top1());
  }

  /** The same for the latest evaluation of {@code run} on {@code split}, which must exist. */
  Robustness robustness(String run, String split) {
    List<Row> clean = spark.sql("SELECT top1 FROM " + Tables.EVAL_METRICS + " WHERE run = :run AND split = :split "
        + "ORDER BY evaluated_at DESC LIMIT 1", Map.of("run", run, "split", split)).collectAsList();
    if (clean.isEmpty()) {
      throw Errors.setting("eval.baseline", "no evaluation named '" + run + "' of split '" + split + "' in "
          + Tables.EVAL_METRICS);
    }
    return robustness(run, split, clean.get(0).getDouble(0));
  }

  private Robustness robustness(String run, String split, double cleanTop1) {
    record Copy(ShiftedSplit split, Row row) {}
    List<Copy> copies = new ArrayList<>();
    for (Row r : spark.sql("SELECT split, top1, ece, images FROM (SELECT *, row_number() OVER (PARTITION BY split "
        + "ORDER BY evaluated_at DESC) AS n FROM " + Tables.EVAL_METRICS + " WHERE run = :run AND startswith(split, "
        + ":prefix)) WHERE n = 1", Map.of("run", run, "prefix", split + "-")).collectAsList()) {
      ShiftedSplit copy = ShiftedSplit.of(split, r.getString(0));
      if (copy != null) {
        copies.add(new Copy(copy, r));
      }
    }
    copies.sort(java.util.Comparator.comparing(Copy::split, ShiftedSplit.ORDER));
    List<Robustness.Cell> cells = copies.stream().map(c -> new Robustness.Cell(c.split().corruption().code(),
        c.split().severity(), c.split().split(), c.row().getDouble(1), c.row().getDouble(2), c.row().getLong(3)))
        .toList();
    return new Robustness(run, split, cleanTop1, cells);
  }

  private Evaluation one(String where, String value, String missing) {
    List<Row> rows = spark.sql("SELECT * FROM " + Tables.EVAL_METRICS + " WHERE " + where
        + " ORDER BY evaluated_at DESC LIMIT 1", Map.of("value", value)).collectAsList();
    if (rows.isEmpty()) {
      throw Errors.state(missing);
    }
    Row r = rows.get(0);
    String evalId = r.getAs("eval_id");
    List<Evaluation.Bin> bins = new ArrayList<>();
    for (Row b : r.<Row>getList(r.fieldIndex("reliability"))) {
      bins.add(new Evaluation.Bin(b.getAs("bin"), b.getAs("lower"), b.getAs("upper"), b.getAs("images"),
          b.getAs("confidence"), b.getAs("accuracy")));
    }
    List<Evaluation.ClassRow> classes = new ArrayList<>();
    for (Row c : spark.sql("SELECT * FROM " + Tables.EVAL_CLASS_METRICS + " WHERE eval_id = :id ORDER BY class_index",
        Map.of("id", evalId)).collectAsList()) {
      List<Long> predicted = c.getList(c.fieldIndex("predicted"));
      classes.add(new Evaluation.ClassRow(c.getAs("class_index"), c.getAs("label"), c.getAs("name"), c.getAs("images"),
          c.getAs("correct"), c.getAs("accuracy"), predicted.stream().mapToLong(Long::longValue).toArray()));
    }
    String trainingRun = r.getAs("training_run");
    return new Evaluation(evalId, r.getAs("run"), r.getAs("model"), trainingRun, r.getAs("architecture"),
        r.getAs("dataset"), r.getAs("split"), r.getAs("samples_snapshot_id"), r.getAs("images"), r.getAs("undecodable"),
        r.getAs("top1"), r.getAs("top5"), r.getAs("nll"), r.getAs("ece"), bins, classes, r.getAs("seconds"),
        r.getAs("images_per_second"), r.<java.sql.Timestamp>getAs("evaluated_at").toInstant(), training(trainingRun));
  }

  private List<Evaluation.Epoch> training(String trainingRun) {
    if (trainingRun == null || !Tables.exists(spark, Tables.TRAIN_METRICS)) {
      return List.of();
    }
    List<Evaluation.Epoch> epochs = new ArrayList<>();
    // a table written before steps were recorded lacks those columns until the next training run adds them
    boolean steps = java.util.Arrays.asList(spark.table(Tables.TRAIN_METRICS).columns()).contains("steps");
    for (Row e : spark.sql("SELECT epoch, train_loss, val_loss, top1, ema_top1, learning_rate, "
        + (steps ? "steps, full_steps, set_skipped" : "null, null, null") + " FROM " + Tables.TRAIN_METRICS
        + " WHERE run = :run ORDER BY epoch", Map.of("run", trainingRun)).collectAsList()) {
      epochs.add(new Evaluation.Epoch(e.getInt(0), e.getDouble(1), (Double) e.get(2), (Double) e.get(3),
          (Double) e.get(4), e.getDouble(5), (Long) e.get(6), (Long) e.get(7), (Long) e.get(8)));
    }
    return epochs;
  }
}
