package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real standalone cluster on localhost: a Master and two Workers (one core and two fake GPUs each, from a
 * discovery script) run from spark-core's classes over a SPARK_HOME of the Maven jars, and the shaded jar
 * submitted with SparkSubmit in client mode trains on 2 tasks across the two executor JVMs. One executor is
 * killed with SIGKILL after the first epoch; the run must still end with a model.
 */
class ITDistributedTrainingOnACluster {

  private static final Pattern RANK_LINE = Pattern.compile("train cluster: attempt (\\d+), rank (\\d) of 2 on \\S+ \\(GPU (\\w+)\\)");

  @TempDir
  Path tmp;
  private StandaloneCluster cluster;

  @AfterEach
  void stopTheCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void twoTasksOnTwoExecutorsSurviveAKilledExecutorAndEachTaskGetsItsOwnGpuAddress() throws Exception {
    Path warehouse = tmp.resolve("warehouse");
    SparkSession spark = TestSpark.start(warehouse);
    try {
      ShapesTable.write(spark, "shapes", Map.of("train", 160, "val", 32), 32, 5);
    } finally {
      spark.stop();
    }

    cluster = new StandaloneCluster(tmp, Map.of(), List.of());
    String[][] gpus = {{"0", "1"}, {"2", "3"}};
    List<List<String>> workers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      workers.add(List.of("-Dspark.worker.resource.gpu.amount=2",
          "-Dspark.worker.resource.gpu.discoveryScript=" + cluster.gpuScript("gpus-" + w + ".sh", gpus[w])));
    }
    cluster.start(1, "3g", workers);

    Path models = tmp.resolve("models");
    Process driver = cluster.submit("driver", List.of("--deploy-mode", "client",
        "--conf", "spark.executor.cores=1", "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
        "--conf", "spark.executor.resource.gpu.amount=1", "--conf", "spark.task.resource.gpu.amount=1"), List.of(
        "train", "--set", "warehouse=" + warehouse, "--set", "dataset=shapes", "--set", "train.run=cluster",
        "--set", "train.model=resnet18", "--set", "train.width=0.0625", "--set", "train.stem-stride=1",
        "--set", "train.stem-pool=false", "--set", "train.epochs=3", "--set", "train.sampler.kind=ssc-fbs",
        "--set", "train.sampler.crop-size=24", "--set", "train.sampler.batch-size=8", "--set", "train.lr.max=0.05",
        "--set", "train.lr.warmup-iterations=5", "--set", "train.device=auto", "--set", "train.models-dir=" + models,
        "--set", "train.tasks=2", "--set", "train.collective-timeout=180s", "--set", "train.worker-heap=512MB",
        "--set", "train.log-every=5"));

    // the first epoch's checkpoint is complete: kill one executor (its training process follows it)
    Path firstEpoch = models.resolve("cluster/checkpoints/epoch-0001/epoch.properties");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.exists(firstEpoch) && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(firstEpoch).as(Files.readString(tmp.resolve("driver.log"))).exists();
    List<ProcessHandle> executors = cluster.executors();
    assertThat(executors).as("one executor per worker").hasSize(2);
    Optional<ProcessHandle> victim = executors.stream().findFirst();
    victim.orElseThrow().destroyForcibly(); // SIGKILL

    assertThat(driver.waitFor(8, TimeUnit.MINUTES)).as("the run ends").isTrue();
    String driverLog = Files.readString(tmp.resolve("driver.log"));
    assertThat(driver.exitValue()).as(driverLog).isZero();
    assertThat(driverLog).contains("train cluster: attempt 1 of 3 failed:")
        .contains("train cluster: attempt 2 starts on fresh ports and resumes after epoch");
    assertThat(models.resolve("cluster/final/saved_model.pb")).exists();
    assertThat(models.resolve("cluster/checkpoints/epoch-0003/epoch.properties")).exists();

    // the executors' logs: every task of every attempt names the GPU Spark gave it, and the two of an attempt differ
    List<String> executorLogs = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      executorLogs.addAll(StandaloneCluster.filesNamed(cluster.workDir(w), "stderr"));
    }
    List<String[]> ranks = new ArrayList<>();
    for (String log : executorLogs) {
      Matcher m = RANK_LINE.matcher(log);
      while (m.find()) {
        ranks.add(new String[] {m.group(1), m.group(2), m.group(3)});
      }
    }
    System.out.println("ranks (attempt, rank, GPU): " + ranks.stream().map(Arrays::toString).toList());
    for (String attempt : List.of("1", "2")) {
      List<String> gpusOfAttempt = ranks.stream().filter(r -> r[0].equals(attempt)).map(r -> r[2]).toList();
      assertThat(gpusOfAttempt).as("attempt " + attempt).hasSize(2).doesNotHaveDuplicates()
          .allMatch(g -> List.of("0", "1", "2", "3").contains(g));
    }
  }
}
