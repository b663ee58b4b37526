package io.cvpipe.common.testing;

import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** The one local[2] Spark session a test class starts (in @BeforeAll) over its own temp warehouse. */
public final class TestSpark {

  private TestSpark() {}

  public static SparkSession start(Path warehouse) {
    return SparkSessions.start(settings(warehouse));
  }

  public static SparkSettings settings(Path warehouse) {
    return new SparkSettings("local[2]", "cvpipe-test", warehouse.toString(), false, "127.0.0.1",
        Map.of("spark.sql.shuffle.partitions", "4", "spark.ui.showConsoleProgress", "false"));
  }
}
