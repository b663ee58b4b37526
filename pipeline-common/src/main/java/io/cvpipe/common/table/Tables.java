package io.cvpipe.common.table;

import io.cvpipe.common.Errors;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.analysis.NoSuchTableException;
import org.apache.spark.sql.types.StructType;

/**
 * Names of cvpipe's tables in the {@code cvpipe} Iceberg catalog, and their creation. Stages meet only in
 * these tables: {@code cvpipe.<dataset>.samples|classes|quarantine|annotations} and {@code cvpipe.runs.*}.
 */
public final class Tables {

  public static final String CATALOG = "cvpipe";
  public static final String RUNS_NAMESPACE = CATALOG + ".runs";
  public static final String INGEST_RUNS = RUNS_NAMESPACE + ".ingest";
  public static final String TRAIN_METRICS = RUNS_NAMESPACE + ".train_metrics";
  public static final String EVAL_METRICS = RUNS_NAMESPACE + ".eval_metrics";
  public static final String STAGES = RUNS_NAMESPACE + ".stages";
  public static final String SET_STATE = RUNS_NAMESPACE + ".set_state";
  public static final String EVAL_CLASS_METRICS = RUNS_NAMESPACE + ".eval_class_metrics";

  /** Table properties of a reinforced table ({@code cvpipe.reinforce.*}); the version training reads. */
  public static final String REINFORCE_PROPERTY = "cvpipe.reinforce.";
  public static final String REINFORCE_VERSION = REINFORCE_PROPERTY + "version";

  private Tables() {}

  /** Dataset names become Iceberg namespaces and directories: keep them plain. */
  public static String checkDataset(String dataset) {
    if (dataset == null || !dataset.matches("[a-z][a-z0-9_]{0,63}")) {
      throw Errors.setting("dataset", "'" + dataset + "' is not a valid dataset name. Use lower case letters, "
          + "digits and _, starting with a letter (e.g. imagenet, coco_2017)");
    }
    if (dataset.equals("runs")) {
      throw Errors.setting("dataset", "'runs' is reserved for cvpipe.runs.* (run records). Pick another name");
    }
    return dataset;
  }

  public static String namespace(String dataset) {
    return CATALOG + "." + checkDataset(dataset);
  }

  public static String samples(String dataset) {
    return namespace(dataset) + ".samples";
  }

  public static String classes(String dataset) {
    return namespace(dataset) + ".classes";
  }

  public static String quarantine(String dataset) {
    return namespace(dataset) + ".quarantine";
  }

  public static String reinforced(String dataset) {
    return namespace(dataset) + ".reinforced";
  }

  public static String annotations(String dataset) {
    return namespace(dataset) + ".annotations";
  }

  /**
   * Appends {@code rows} to {@code table} as one Iceberg commit, with {@code schema} imposed (so that its NOT
   * NULL columns are kept) and the run id in the snapshot summary ({@code cvpipe.run-id}).
   */
  public static void append(SparkSession spark, Dataset<Row> rows, String table, StructType schema, String runId) {
    append(spark, rows, table, schema, runId, Map.of());
  }

  /** {@link #append} with Iceberg write options (e.g. {@code distribution-mode}). */
  public static void append(SparkSession spark, Dataset<Row> rows, String table, StructType schema, String runId,
      Map<String, String> options) {
    append(spark.createDataFrame(rows.rdd(), schema), table, runId, options);
  }

  /** Appends rows that already carry the table's schema. */
  public static void append(Dataset<Row> rows, String table, String runId, Map<String, String> options) {
    try {
      rows
          .writeTo(table)
          .option("snapshot-property.cvpipe.run-id", runId)
          .options(options)
          .append();
    } catch (NoSuchTableException e) {
      throw Errors.state(table + " does not exist: it should have been created before the write");
    }
  }

  /** The Iceberg table behind a catalog name, for what Spark SQL does not expose (specs, snapshots, scans). */
  public static org.apache.iceberg.Table iceberg(SparkSession spark, String table) {
    try {
      return org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark, table);
    } catch (Exception e) {
      throw Errors.state("cannot load Iceberg table " + table + ": " + e.getMessage());
    }
  }

  public static boolean exists(SparkSession spark, String table) {
    return spark.catalog().tableExists(table);
  }

  /**
   * Adds the columns of {@code schema} that {@code table} lacks (a table made by an earlier version), as nullable
   * columns at the end: older rows read them as null.
   */
  public static void addMissingColumns(SparkSession spark, String table, StructType schema) {
    java.util.Set<String> present = new java.util.HashSet<>(java.util.Arrays.asList(spark.table(table).schema().fieldNames()));
    for (org.apache.spark.sql.types.StructField f : schema.fields()) {
      if (!present.contains(f.name())) {
        if (!f.nullable()) {
          throw new IllegalStateException(table + " lacks column " + f.name() + ", which is NOT NULL: it cannot be added");
        }
        spark.sql("ALTER TABLE " + table + " ADD COLUMN " + f.toDDL());
      }
    }
  }

  /**
   * Creates {@code table} if it does not exist yet. {@code partitioning} is Spark's PARTITIONED BY clause
   * body (e.g. {@code "split, bucket(8, sample_id)"}), or empty for none.
   */
  public static void createIfMissing(
      SparkSession spark, String table, StructType schema, String partitioning, Map<String, String> properties) {
    String namespace = table.substring(0, table.lastIndexOf('.'));
    spark.sql("CREATE NAMESPACE IF NOT EXISTS " + namespace);
    StringBuilder ddl = new StringBuilder()
        .append("CREATE TABLE IF NOT EXISTS ").append(table)
        .append(" (").append(schema.toDDL()).append(") USING iceberg");
    if (!partitioning.isEmpty()) {
      ddl.append(" PARTITIONED BY (").append(partitioning).append(")");
    }
    if (!properties.isEmpty()) {
      ddl.append(" TBLPROPERTIES (")
          .append(properties.entrySet().stream()
              .map(e -> "'" + e.getKey() + "'='" + e.getValue() + "'")
              .collect(Collectors.joining(", ")))
          .append(")");
    }
    spark.sql(ddl.toString());
  }
}
