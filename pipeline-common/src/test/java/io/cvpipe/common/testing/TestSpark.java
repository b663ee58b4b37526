package io.cvpipe.common.testing;

import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** The one local[2] Spark session a test class starts (in @BeforeAll) over its own temp warehouse. */
public final class TestSpark {

  private TestSpark() {}

  public static SparkSession start(Path warehouse) {
    return SparkSessions.start(settings(warehouse));
  }

  /** A session over any warehouse URI (s3a:// too) with extra Spark settings. */
  public static SparkSession start(String warehouse, Map<String, String> extra) {
    Map<String, String> conf = new HashMap<>(BASE);
    conf.putAll(extra);
    return SparkSessions.start(new SparkSettings("local[2]", "cvpipe-test", warehouse, false, "127.0.0.1", conf));
  }

  private static final Map<String, String> BASE =
      Map.of("spark.sql.shuffle.partitions", "4", "spark.ui.showConsoleProgress", "false");

  public static SparkSettings settings(Path warehouse) {
    return new SparkSettings("local[2]", "cvpipe-test", warehouse.toString(), false, "127.0.0.1", BASE);
  }
}
