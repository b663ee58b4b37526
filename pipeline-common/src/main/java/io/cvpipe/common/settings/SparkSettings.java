package io.cvpipe.common.settings;

import java.util.Map;

/** How to start Spark and where the {@code cvpipe} Iceberg catalog keeps its tables. */
public record SparkSettings(
    String master, String appName, String warehouse, boolean ui, String bindAddress, Map<String, String> conf) {

  public SparkSettings {
    conf = Map.copyOf(conf);
  }

  public static SparkSettings from(Settings settings) {
    return new SparkSettings(
        settings.string("spark.master", "local[*]"),
        settings.stringOr("spark.app-name", "cvpipe"),
        settings.string("warehouse", "/data/warehouse or s3a://bucket/warehouse"),
        settings.bool("spark.ui"),
        settings.stringOr("spark.bind-address", "127.0.0.1"),
        settings.stringMap("spark.conf"));
  }
}
