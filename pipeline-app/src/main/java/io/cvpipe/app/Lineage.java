package io.cvpipe.app;

import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.iceberg.Snapshot;
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
  private final Set<String> written = new LinkedHashSet<>();

  Lineage(SparkSession spark, String pipeline) {
    this.spark = spark;
    this.pipeline = pipeline;
    this.runId = pipeline + "-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  String runId() {
    return runId;
  }

  /** {@code name@snapshot}, {@code name@none} for a table without one, {@code name@absent} for a missing table. */
  static String table(SparkSession spark, String name) {
    if (!Tables.exists(spark, name)) {
      return name + "@absent";
    }
    Snapshot current = Tables.iceberg(spark, name).currentSnapshot();
    return name + "@" + (current == null ? "none" : String.valueOf(current.snapshotId()));
  }

  /** {@code path#fingerprint} of an exported model's model.json, {@code path#absent} without one. */
  static String model(String directory) {
    Path description = Path.of(directory, "model.json");
    if (!Files.isRegularFile(description)) {
      return directory + "#absent";
    }
    try {
      return directory + "#" + hash(Files.readString(description, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + description, e);
    }
  }

  static String hash(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)),
          0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Whether the stage's last successful (or skipped) execution recorded these settings and inputs, and what it
   * wrote is still there (another stage may have written to the same table since, so outputs are not compared).
   */
  boolean unchanged(Pipeline.Step step, String inputs, String outputs) {
    if (!Tables.exists(spark, Tables.STAGES) || inputs.contains("@absent") || outputs.contains("#absent")
        || outputs.contains("@absent")) {
      return false;
    }
    List<Row> last = spark.table(Tables.STAGES)
        .where(org.apache.spark.sql.functions.col("pipeline").equalTo(pipeline)
            .and(org.apache.spark.sql.functions.col("stage_index").equalTo(step.index()))
            .and(org.apache.spark.sql.functions.col("status").isin("succeeded", "skipped")))
        .orderBy(org.apache.spark.sql.functions.col("finished_at").desc()).limit(1)
        .select("settings_hash", "inputs").collectAsList();
    return !last.isEmpty() && step.settingsHash().equals(last.get(0).getString(0))
        && inputs.equals(last.get(0).getString(1));
  }

  /**
   * Tags, in every table this run's stages wrote, the snapshot they left ({@code <pipeline>-<UTC date>}, replaced
   * by a later run of the same day), so that {@code VERSION AS OF 'tag'} reads what this run produced. Returns
   * the tag.
   */
  String tagOutputs() {
    String tag = pipeline + "-" + DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(Instant.now());
    for (String output : written) {
      int at = output.lastIndexOf('@');
      if (at > 0 && output.substring(at + 1).matches("\\d+")) {
        spark.sql("ALTER TABLE " + output.substring(0, at) + " CREATE OR REPLACE TAG `" + tag + "` AS OF VERSION "
            + output.substring(at + 1));
      }
    }
    return tag;
  }

  void record(Pipeline.Step step, String inputs, String outputs, String status, String message, Timestamp started) {
    if (!status.equals("failed")) {
      written.addAll(List.of(outputs.split(", ")));
    }
    Tables.createIfMissing(spark, Tables.STAGES, Schemas.STAGES, "", Map.of("format-version", "2"));
    Row row = RowFactory.create(runId, pipeline, step.index(), step.kind(), step.settingsHash(), inputs, outputs,
        status, message, started, Timestamp.from(Instant.now()));
    Tables.append(spark, spark.createDataFrame(List.of(row), Schemas.STAGES), Tables.STAGES, Schemas.STAGES, runId);
  }
}
