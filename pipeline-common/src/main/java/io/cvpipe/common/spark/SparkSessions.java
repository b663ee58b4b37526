package io.cvpipe.common.spark;

import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.table.Tables;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** Starts Spark with the {@code cvpipe} Iceberg catalog (Hadoop type) over the configured warehouse. */
public final class SparkSessions {

  private SparkSessions() {}

  public static SparkSession start(SparkSettings settings) {
    SparkSession.Builder builder = SparkSession.builder().appName(settings.appName());
    boolean submitted = System.getProperty("spark.master") != null;
    String master = submitted ? System.getProperty("spark.master") : settings.master();
    if (!submitted) {
      builder.master(master);
    }
    if (master.startsWith("local")) {
      builder.config("spark.driver.bindAddress", settings.bindAddress());
      builder.config("spark.driver.host", settings.bindAddress());
      builder.config("spark.ui.enabled", settings.ui());
      // small local machines: a few shuffle partitions, AQE coalesces further
      builder.config("spark.sql.shuffle.partitions", Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    }
    builder.config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions");
    String catalog = "spark.sql.catalog." + Tables.CATALOG;
    builder.config(catalog, "org.apache.iceberg.spark.SparkCatalog");
    builder.config(catalog + ".type", "hadoop");
    builder.config(catalog + ".warehouse", warehouseUri(settings.warehouse()));
    for (Map.Entry<String, String> e : settings.conf().entrySet()) {
      builder.config(e.getKey(), e.getValue());
    }
    return builder.getOrCreate();
  }

  /** A local path becomes an absolute file: URI; anything with a scheme (s3a://, hdfs://) stays as it is. */
  public static String warehouseUri(String warehouse) {
    if (warehouse.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return warehouse;
    }
    URI uri = Path.of(warehouse).toAbsolutePath().normalize().toUri();
    String s = uri.toString();
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
