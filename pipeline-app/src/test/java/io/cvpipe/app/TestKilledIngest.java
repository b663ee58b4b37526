package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestReport;
import io.cvpipe.ingest.IngestSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's exit codes, and an ingest killed with SIGKILL midway, as a real separate JVM. */
class TestKilledIngest {

  @TempDir
  Path tmp;

  private Process launch(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--set", "warehouse=" + tmp.resolve("warehouse")));
    return TestProcesses.cvpipe(all);
  }

  @Test
  void settingsErrorsExitWithTwoAndSayWhy() throws Exception {
    Process process = launch("ingest", "--set", "dataset=x", "--set", "ingest.source=/tmp", "--set", "ingest.shards=0");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output).contains("cvpipe: ingest.shards: 0 is out of range. Allowed: 1 to 65536");
  }

  @Test
  void aKilledIngestLeavesCommittedTablesAndTheNextRunFinishes() throws Exception {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 4, 400, 0, 96, 96, true, 5);
    Process process = launch("ingest", "--set", "dataset=killed", "--set", "ingest.source=" + layout.root(),
        "--set", "ingest.files-per-task=20", "--set", "ingest.progress-interval=200ms");
    // killed at a progress line: while validating
    TestProcesses.Killed killed = TestProcesses.killOnLine(process,
        Pattern.compile("^ingest killed: [0-9,]+/[0-9,]+ files \\("), Duration.ofMinutes(5));
    assertThat(killed.matched()).as("the ingest was killed while validating:%n%s", killed.output()).isTrue();

    SparkSession spark = TestSpark.start(tmp.resolve("warehouse"));
    try {
      long before = spark.table("cvpipe.killed.samples").count();
      long snapshots = spark.sql("SELECT count(*) FROM cvpipe.killed.samples.snapshots").first().getLong(0);
      assertThat(before).as("a killed run commits no partial data").isZero();
      assertThat(snapshots).isZero();

      IngestReport rerun = new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=killed",
          "ingest.source=" + layout.root(), "ingest.progress-interval=0s")))).run();

      assertThat(rerun.samplesWritten()).isEqualTo(layout.accepted());
      assertThat(rerun.quarantined()).isEqualTo(layout.rejected());
      assertThat(spark.table("cvpipe.killed.samples").count()).isEqualTo(layout.accepted());
      assertThat(spark.sql("SELECT count(DISTINCT sample_id) FROM cvpipe.killed.samples").first().getLong(0))
          .isEqualTo(layout.accepted());
    } finally {
      spark.stop();
    }
  }
}
