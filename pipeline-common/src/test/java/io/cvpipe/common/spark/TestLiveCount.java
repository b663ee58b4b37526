package io.cvpipe.common.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's counter while its one task still runs: the heartbeats carry it (every 200 ms here), the driver's
 * accumulator does not have it yet; a failed task's count is dropped.
 */
class TestLiveCount {

  @TempDir
  static Path tmp;

  static SparkSession spark;

  /** Set by the test when it has seen what it waits for: the task (same JVM, local[2]) then goes on. */
  static final AtomicBoolean RELEASE = new AtomicBoolean();

  @BeforeAll
  static void start() {
    spark = TestSpark.start(tmp.toString(), Map.of("spark.executor.heartbeatInterval", "200ms"));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void countsARunningTaskFromItsHeartbeatsAndEndsAtTheAccumulatorsValue() throws Exception {
    LongAccumulator done = spark.sparkContext().longAccumulator("live test done");
    RELEASE.set(false);
    try (LiveCount live = LiveCount.of(spark.sparkContext(), done)) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() -> JavaSparkContext.fromSparkContext(
          spark.sparkContext()).parallelize(List.of(1, 2, 3, 4, 5), 1).foreachPartition(rows -> {
            rows.forEachRemaining(r -> done.add(1));
            awaitRelease();
          }));
      assertThat(waitFor(live, 5)).as("the running task's count, from its heartbeats").isEqualTo(5);
      assertThat(done.value()).as("the driver's accumulator while the task runs").isZero();
      RELEASE.set(true);
      job.get();
      assertThat(done.value()).isEqualTo(5);
      assertThat(live.getAsLong()).isEqualTo(5);
    }
  }

  @Test
  void dropsTheCountOfATaskThatFails() throws Exception {
    LongAccumulator done = spark.sparkContext().longAccumulator("live test failed");
    RELEASE.set(false);
    try (LiveCount live = LiveCount.of(spark.sparkContext(), done)) {
      CompletableFuture<Void> job = CompletableFuture.runAsync(() -> JavaSparkContext.fromSparkContext(
          spark.sparkContext()).parallelize(List.of(1, 2, 3), 1).foreachPartition(rows -> {
            rows.forEachRemaining(r -> done.add(1));
            awaitRelease();
            throw new IllegalStateException("this task fails on purpose");
          }));
      assertThat(waitFor(live, 3)).isEqualTo(3);
      RELEASE.set(true);
      assertThatThrownBy(job::get).isInstanceOf(ExecutionException.class).hasMessageContaining("fails on purpose");
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (live.getAsLong() != 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(live.getAsLong()).as("a failed task's count, once its end is known").isZero();
    }
  }

  private static long waitFor(LongSupplier count, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (count.getAsLong() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return count.getAsLong();
  }

  private static void awaitRelease() throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!RELEASE.get() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
