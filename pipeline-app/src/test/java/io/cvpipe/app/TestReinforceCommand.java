package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.reinforce.testing.Teachers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cvpipe reinforce} as a user runs it, killed (SIGKILL) after its first commit and run again. */
class TestReinforceCommand {

  @TempDir
  Path tmp;

  @Test
  void aKilledRunIsFinishedByTheNextWithoutDuplicates() throws Exception {
    SparkSession spark = TestSpark.start(tmp.resolve("warehouse"));
    try {
      ShapesTable.write(spark, "shapes", Map.of("train", 80), 24, 2);
    } finally {
      spark.stop();
    }
    Teachers.untrained(tmp.resolve("models/teacher/best"), "cnn2", List.of(SyntheticImages.label(0),
        SyntheticImages.label(1), SyntheticImages.label(2), SyntheticImages.label(3)), 24, 1);
    List<String> args = new ArrayList<>(List.of("reinforce", "--set", "dataset=shapes", "--set",
        "reinforce.teachers=[teacher]", "--set", "reinforce.models-dir=" + tmp.resolve("models"), "--set",
        "reinforce.augmentations=5", "--set", "reinforce.commit-every=10", "--set", "reinforce.shard-size=10",
        "--set", "warehouse=" + tmp.resolve("warehouse")));

    Process first = TestProcesses.cvpipe(args);
    TestProcesses.Killed killed = TestProcesses.killOnLine(first,
        Pattern.compile("reinforced: commit 1: 10 of 80 samples reinforced"), Duration.ofMinutes(5));
    assertThat(killed.matched()).as("the run was killed after its first commit:%n%s", killed.output()).isTrue();

    Process second = TestProcesses.cvpipe(args);
    String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(second.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).as(out).isZero();
    assertThat(out).containsPattern("80 samples, [1-7]0 already reinforced, [1-7]0 reinforced now");

    spark = TestSpark.start(tmp.resolve("warehouse"));
    try {
      String table = Tables.reinforced("shapes");
      assertThat(spark.table(table).count()).isEqualTo(400);
      assertThat(spark.sql("SELECT DISTINCT sample_id, augmentation FROM " + table).count()).isEqualTo(400);
      assertThat(spark.sql("SELECT count(DISTINCT version) FROM " + table).first().getLong(0)).isEqualTo(1);
    } finally {
      spark.stop();
    }
  }
}
