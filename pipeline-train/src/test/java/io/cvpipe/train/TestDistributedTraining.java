package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two barrier tasks in {@code local[2]}, each training its replica in a process of its own, all-reducing over
 * loopback. Plumbing and equality, not an accuracy claim.
 */
class TestDistributedTraining {

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void writeSamples() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("train", 160, "val", 32), 32, 3);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainSettings settings(String run, String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "train.run=" + run, "train.model=resnet18",
        "train.width=0.0625", "train.stem-stride=1", "train.stem-pool=false", "train.epochs=3",
        "train.sampler.kind=msc-vbs", "train.sampler.crop-size=24", "train.sampler.batch-size=8",
        "train.sampler.min-crop-size=16", "train.sampler.max-crop-size=32", "train.sampler.scales=3",
        "train.sampler.divisor=8", "train.lr.max=0.05", "train.lr.warmup-iterations=5", "train.device=cpu",
        "train.models-dir=" + tmp.resolve("models"), "train.log-every=5", "train.ema-momentum=0.05",
        "train.tasks=2", "train.collective-timeout=180s", "train.worker-heap=512MB"));
    sets.addAll(List.of(extra));
    return TrainSettings.from(Settings.load(null, sets));
  }

  private static Path lastCheckpoint(List<EpochMetrics> metrics) {
    return Path.of(metrics.get(metrics.size() - 1).checkpoint());
  }

  @Test
  void aTaskThatDiesMidEpochCostsOneAttemptAndTheRunEndsWithTheWeightsOfAnUninterruptedOne() throws Exception {
    TrainJob whole = new TrainJob(spark, settings("whole"), 1);
    List<EpochMetrics> uninterrupted = whole.run();
    // 10 steps per epoch (80 samples per task): step 14 is in the second epoch, after the first checkpoint
    TrainJob crashing = new TrainJob(spark, settings("crashed", "train.test-hook.crash-rank=1",
        "train.test-hook.crash-step=14"), 1);
    List<EpochMetrics> resumed = crashing.run();

    assertThat(whole.attempts()).isEqualTo(1);
    assertThat(crashing.attempts()).isEqualTo(2);
    assertThat(resumed).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(uninterrupted).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(resumed.get(2).trainLoss()).isEqualTo(uninterrupted.get(2).trainLoss());
    assertThat(resumed.get(2).top1()).isEqualTo(uninterrupted.get(2).top1());
    Path a = lastCheckpoint(uninterrupted).resolve("variables.data-00000-of-00001");
    Path b = lastCheckpoint(resumed).resolve("variables.data-00000-of-00001");
    assertThat(Files.size(a)).isGreaterThan(10_000);
    assertThat(Files.mismatch(a, b)).as("every variable, bit for bit").isEqualTo(-1);
    assertThat(tmp.resolve("models/crashed/final/saved_model.pb")).exists();
    long rows = spark.sql("SELECT count(*) FROM cvpipe.runs.train_metrics WHERE run = 'crashed'").first().getLong(0);
    assertThat(rows).as("each epoch recorded once across the attempts").isEqualTo(3);
  }

  @Test
  void setLeavesTheSameSamplesOutOnEveryTaskAndTheTasksStayInStep() {
    List<EpochMetrics> metrics = new TrainJob(spark, settings("set", "train.set.enabled=true", "train.set.interval=1",
        "train.set.min-frequency=1", "train.set.confidence=0.3", "train.sampler.kind=ssc-fbs", "train.epochs=2"), 1).run();

    List<Row> skipped = spark.sql("SELECT epoch + 1, count_if(skipped) FROM cvpipe.runs.set_state WHERE run = 'set' "
        + "GROUP BY epoch ORDER BY epoch").collectAsList();
    assertThat(skipped).extracting(r -> r.getInt(0)).containsExactly(2);
    long saved = 0;
    for (Row r : skipped) {
      EpochMetrics m = metrics.get(r.getInt(0) - 1);
      long left = 160 - r.getLong(1);
      assertThat(m.setSkipped()).isEqualTo(r.getLong(1));
      // the rows left, dealt evenly: ceil(left / 2) per task, in batches of 8 (the last one filled up)
      assertThat(m.steps()).as("epoch %d", m.epoch()).isEqualTo(((left + 1) / 2 + 7) / 8);
      assertThat(m.fullSteps()).isEqualTo(10);
      saved += m.fullSteps() - m.steps();
    }
    assertThat(saved).isPositive();
  }

  @Test
  void aUserErrorInOneRankEndsTheRunAtOnceWithoutAnotherAttempt() {
    TrainJob diverging = new TrainJob(spark, settings("diverged", "train.lr.max=1e30", "train.lr.warmup-iterations=0"), 1);
    // rank 1 alone: rank 0's all-reduce fails a moment later, and its failure must not pass for the cause
    TrainJob oneRank = new TrainJob(spark, settings("one-rank", "train.test-hook.crash-rank=1",
        "train.test-hook.crash-step=3", "train.test-hook.crash-as-user-error=true"), 1);

    assertThatThrownBy(diverging::run).isInstanceOf(CvpipeException.class)
        .hasMessageContaining("Lower train.lr.max");
    assertThat(diverging.attempts()).isEqualTo(1);
    assertThatThrownBy(oneRank::run).isInstanceOf(CvpipeException.class)
        .hasMessageContaining("rank 1 fails on purpose at step 3, as a user error");
    assertThat(oneRank.attempts()).isEqualTo(1);
  }

  @Test
  void settingsTheMachineCannotHonourAreRefusedBeforeAnyTaskStarts() {
    assertThatThrownBy(() -> new TrainJob(spark, settings("three", "train.tasks=3"), 1).run())
        .hasMessageContaining("train.tasks: 3 barrier tasks need 3 task slots at once, and local[2] has 2");
    assertThatThrownBy(() -> settings("t", "train.collective-timeout=0s"))
        .hasMessageContaining("train.collective-timeout: 0 s must be between 1 s and 1 day");
    assertThatThrownBy(() -> settings("t", "train.worker-heap=lots"))
        .hasMessageContaining("train.worker-heap: expected a size such as 256MB, got 'lots'");
  }

  @Test
  void theAutomaticWorkerHeapMakesRoomForTheStoredAugmentationsOfTheTasksShare() {
    assertThat(TrainJob.workerHeapMegabytes(0, 0)).isEqualTo(1024);
    assertThat(TrainJob.workerHeapMegabytes(100L << 20, 0)).isEqualTo(1024 + 300);
    // Fashion-MNIST reinforced with N = 32 over 2 tasks: 960,000 stored augmentations a task, held twice over
    // while an epoch's share replaces the last one's, 200 bytes each: 366 MB on top (150 MB once, measured)
    assertThat(TrainJob.workerHeapMegabytes(0, 960_000)).isEqualTo(1024 + 366);
  }
}
