package io.cvpipe.app;

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
   * Whether the stage's last successful (or skipped) execution recorded these settings and inputs, and what it
   * wrote is still there (another stage may have written to the same table since, so outputs are not compared).
   */
  boolean unchanged(Pipeline.Step step, List<DataRef> inputs, List<DataRef> outputs) {
    if (!Tables.exists(spark, Tables.STAGES) || inputs.stream().anyMatch(DataRef::absent)
        || outputs.stream().anyMatch(DataRef::absent)) {
      return false;
    }
    List<Row> last = spark.table(Tables.STAGES)
        .where(org.apache.spark.sql.functions.col("pipeline").equalTo(pipeline)
            .and(org.apache.spark.sql.functions.col("stage_index").equalTo(step.index()))
            .and(org.apache.spark.sql.functions.col("status").isin("succeeded", "skipped")))
        .orderBy(org.apache.spark.sql.functions.col("finished_at").desc()).limit(1)
        .select("settings_hash", "inputs").collectAsList();
    return !last.isEmpty() && step.settingsHash().equals(last.get(0).getString(0))
        && text(inputs).equals(last.get(0).getString(1));
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
    Tables.createIfMissing(spark, Tables.STAGES, Schemas.STAGES, "", Map.of("format-version", "2"));
    if (!Tables.iceberg(spark, Tables.STAGES).schema().columns().stream().anyMatch(c -> c.name().equals("figures"))) {
      // made by the first cut of cvpipe run, before stages had figures
      spark.sql("ALTER TABLE " + Tables.STAGES + " ADD COLUMN figures map<string, double> COMMENT '"
          + Schemas.STAGES.apply("figures").getComment().get() + "'");
    }
    Row row = RowFactory.create(runId, pipeline, step.index(), step.kind(), step.settingsHash(), text(inputs),
        text(outputs),
        status, message, started, Timestamp.from(Instant.now()), new TreeMap<>(figures));
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.STAGES), Tables.STAGES, Schemas.STAGES, runId);
  }
}
