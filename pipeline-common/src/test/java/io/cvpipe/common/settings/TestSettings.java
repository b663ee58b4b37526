package io.cvpipe.common.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.image.Validation;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestSettings {

  @Test
  void setsOverrideReferenceAndKeepPathsAsStrings() {
    Settings settings = Settings.load(null, List.of("warehouse=s3a://bucket/wh", "spark.master=local[2]"));

    assertThat(SparkSettings.from(settings).warehouse()).isEqualTo("s3a://bucket/wh");
    assertThat(SparkSettings.from(settings).master()).isEqualTo("local[2]");
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
