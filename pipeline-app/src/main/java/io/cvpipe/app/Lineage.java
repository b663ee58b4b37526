package io.cvpipe.app;

import static org.apache.spark.sql.functions.col;

import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A pipeline run's record in {@code cvpipe.runs.stages}: a row per stage execution, and the question whether a
 * stage's last successful execution saw the same settings, inputs and outputs as now.
 */
final class Lineage {

  private final SparkSession spark;
  private final String pipeline;
  private final String runId;
  /** The outputs of this run's stages that succeeded or were skipped, in order. */
  private final Set<DataRef> written = new LinkedHashSet<>();
  /** Whether cvpipe.runs.stages was made (or brought up to date) by this run: the first record does it. */
  private boolean tableReady;

  Lineage(SparkSession spark, String pipeline) {
    this.spark = spark;
    this.pipeline = pipeline;
    this.runId = pipeline + "-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  String runId() {
    return runId;
  }

  /**
   * Why the stage has something to do, or null when it has not: its last successful (or skipped) execution in this
   * pipeline recorded these settings and inputs, and what it wrote is still there (another stage may have written
   * to the same table since, so outputs are checked for presence, not compared).
   */
  String reasonToRun(Pipeline.Step step, List<DataRef> inputs, List<DataRef> outputs) {
    List<String> missing = outputs.stream().filter(DataRef::absent).map(DataRef::name).toList();
    if (!missing.isEmpty()) {
      return "its outputs are not there yet (" + String.join(", ", missing) + ")";
    }
    List<Row> last = !Tables.exists(spark, Tables.STAGES) ? List.of() : spark.table(Tables.STAGES)
        .where(col("pipeline").equalTo(pipeline).and(col("stage_index").equalTo(step.index()))
            .and(col("status").isin("succeeded", "skipped")))
        .orderBy(col("finished_at").desc()).limit(1).select("settings_hash", "inputs").collectAsList();
    if (last.isEmpty()) {
      return "it never succeeded in pipeline " + pipeline;
    }
    if (!step.settingsHash().equals(last.get(0).getString(0))) {
      return "its settings changed since its last successful run";
    }
    List<String> before = last.get(0).isNullAt(1) || last.get(0).getString(1).isEmpty() ? List.of()
        : List.of(last.get(0).getString(1).split(", "));
    List<String> now = inputs.stream().map(DataRef::toString).toList();
    if (!now.equals(before)) {
      List<String> changed = now.stream().filter(r -> !before.contains(r)).toList();
      return "its inputs changed since its last successful run (now " + String.join(", ", changed) + ")";
    }
    return null;
  }

  /**
   * Tags, in every table this run's stages wrote, the snapshot they left ({@code <pipeline>-<UTC date>}, replaced
   * by a later run of the same day), so that {@code VERSION AS OF 'tag'} reads what this run produced. Returns
   * the tag.
   */
  String tagOutputs() {
    String tag = pipeline + "-" + DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(Instant.now());
    for (DataRef output : written) {
      if (output.kind() == DataRef.Kind.TABLE && output.version().matches("\\d+")) {
        spark.sql("ALTER TABLE " + output.name() + " CREATE OR REPLACE TAG `" + tag + "` AS OF VERSION "
            + output.version());
      }
    }
    return tag;
  }

  /** How lineage rows hold a list of refs: their string forms, comma-separated. */
  static String text(List<DataRef> refs) {
    return refs.stream().map(DataRef::toString).collect(Collectors.joining(", "));
  }

  void record(Pipeline.Step step, List<DataRef> inputs, List<DataRef> outputs, String status, String message,
      Map<String, Double> figures, Timestamp started) {
    if (!status.equals("failed")) {
      written.addAll(outputs);
    }
    if (!tableReady) {
      Tables.createIfMissing(spark, Tables.STAGES, Schemas.STAGES, "", Map.of("format-version", "2"));
      if (Tables.iceberg(spark, Tables.STAGES).schema().findField("figures") == null) {
        // made by the first cut of cvpipe run, before stages had figures
        spark.sql("ALTER TABLE " + Tables.STAGES + " ADD COLUMN figures map<string, double> COMMENT '"
            + Schemas.STAGES.apply("figures").getComment().get() + "'");
      }
      tableReady = true;
    }
    Row row = RowFactory.create(runId, pipeline, step.index(), step.kind(), step.settingsHash(), text(inputs),
        text(outputs), status, message, started, Timestamp.from(Instant.now()), new TreeMap<>(figures));
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.STAGES), Tables.STAGES, Schemas.STAGES, runId);
  }
}
