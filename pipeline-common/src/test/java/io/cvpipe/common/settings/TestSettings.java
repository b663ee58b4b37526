package io.cvpipe.common.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.image.Validation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestSettings {

  @Test
  void setsOverrideReferenceAndKeepPathsAsStrings() {
    Settings settings = Settings.load(null, List.of("warehouse=s3a://bucket/wh", "spark.master=local[2]"));

    assertThat(SparkSettings.from(settings).warehouse()).isEqualTo("s3a://bucket/wh");
    assertThat(SparkSettings.from(settings).master()).isEqualTo("local[2]");
  }

  @Test
  void aConfFileShippedWithSparkSubmitFilesIsFoundThroughSparkFiles(@TempDir Path tmp) throws Exception {
    // spark-submit --deploy-mode cluster --files /x/nightly.conf ... run --conf nightly.conf: the driver starts
    // elsewhere, and Spark fetches the file only once it has started
    Path shipped = Files.createDirectories(tmp.resolve("submitter")).resolve("nightly-" + System.nanoTime() + ".conf");
    Files.writeString(shipped, "dataset = shipped\n");
    String before = System.getProperty("spark.files");
    System.setProperty("spark.files", "file:/elsewhere/other.conf," + shipped.toUri());
    try {
      Settings settings = Settings.load(Path.of(shipped.getFileName().toString()), List.of());
      assertThat(settings.config().getString("dataset")).isEqualTo("shipped");
      assertThatThrownBy(() -> Settings.load(Path.of("not-shipped.conf"), List.of()))
          .hasMessageContaining("--conf not-shipped.conf: no such file")
          .hasMessageContaining("under spark-submit --deploy-mode cluster, ship yours with --files");
    } finally {
      if (before == null) {
        System.clearProperty("spark.files");
      } else {
        System.setProperty("spark.files", before);
      }
    }
  }

  @Test
  void sparkSubmitsSystemPropertiesAreSparksNotCvpipes() {
    // spark-submit --conf spark.ui.enabled=false becomes this system property; cvpipe's spark.ui is a boolean
    System.setProperty("spark.ui.enabled", "false");
    ConfigFactory.invalidateCaches(); // Typesafe Config caches the system properties it saw first
    try {
      Settings settings = Settings.load(null, List.of());

      assertThat(SparkSettings.from(settings).ui()).isTrue();
    } finally {
      System.clearProperty("spark.ui.enabled");
      ConfigFactory.invalidateCaches();
    }
  }

  @Test
  void sparkPassThroughKeysAreFlattened() {
    Settings settings = Settings.load(null, List.of("spark.conf.spark.sql.shuffle.partitions=7"));

    assertThat(SparkSettings.from(settings).conf()).containsEntry("spark.sql.shuffle.partitions", "7");
  }

  @Test
  void unknownKeyIsRefusedWithTheKnownOnes() {
    assertThatThrownBy(() -> Settings.load(null, List.of("spark.mastr=local")))
        .isInstanceOf(CvpipeException.class)
        .hasMessageContaining("spark.mastr: unknown setting")
        .hasMessageContaining("spark.master")
        .extracting(e -> ((CvpipeException) e).exitCode()).isEqualTo(2);
  }

  @Test
  void badValuesNameTheKeyAndWhatIsAllowed() {
    Settings settings = Settings.load(null, List.of("spark.ui=maybe", "warehouse=x"));

    assertThatThrownBy(() -> settings.bool("spark.ui"))
        .hasMessageContaining("spark.ui: expected true or false, got 'maybe'");
    assertThatThrownBy(() -> settings.choice("warehouse", Validation.class, Validation::code))
        .hasMessageContaining("warehouse: unknown value 'x'. Expected one of: full, header");
    assertThatThrownBy(() -> settings.intIn("warehouse", 1, 4))
        .hasMessageContaining("warehouse: expected a whole number between 1 and 4, got 'x'");
    assertThatThrownBy(() -> settings.string("dataset", "imagenet"))
        .hasMessageContaining("dataset: is required. Set it with --set dataset=imagenet");
  }

  @Test
  void malformedSetIsAUsageError() {
    assertThatThrownBy(() -> Settings.load(null, List.of("dataset")))
        .hasMessageContaining("expected key=value");
  }
}
