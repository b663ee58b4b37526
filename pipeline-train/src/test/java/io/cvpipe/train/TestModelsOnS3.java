package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestS3;
import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.models-dir on s3a://, against a real S3-protocol server in this JVM: where a cluster's runs keep their files. */
class TestModelsOnS3 {

  @TempDir
  static Path tmp;
  private static TestS3 s3;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    s3 = TestS3.start();
    spark = TestSpark.start(tmp.resolve("warehouse").toString(), s3.sparkConf());
    ShapesTable.write(spark, "shapes", Map.of("train", 96, "val", 16), 24, 7);
  }

  @AfterAll
  static void stop() throws Exception {
    spark.stop();
    s3.close();
  }

  private static TrainSettings settings(String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "train.run=remote", "train.model=resnet18",
        "train.width=0.0625", "train.stem-stride=1", "train.stem-pool=false", "train.sampler.kind=ssc-fbs",
        "train.sampler.crop-size=24", "train.sampler.batch-size=8", "train.lr.max=0.05",
        "train.lr.warmup-iterations=5", "train.device=cpu", "train.models-dir=" + s3.uri("models"),
        "train.keep-best=1", "train.collective-timeout=180s", "train.worker-heap=512MB"));
    sets.addAll(List.of(extra));
    return TrainSettings.from(Settings.load(null, sets));
  }

  private static List<String> remoteFiles() throws Exception {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(s3.uri("models/remote"));
    FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    List<String> files = new ArrayList<>();
    String prefix = fs.makeQualified(root).toString();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      files.add(it.next().getPath().toString().substring(prefix.length() + 1));
    }
    return files;
  }

  @Test
  void aRunPublishesItsCheckpointsAndModelsAndAnotherMachineResumesFromThem() throws Exception {
    List<EpochMetrics> first = new TrainJob(spark, settings("train.epochs=2", "train.tasks=2"), 1).run();

    assertThat(first).extracting(EpochMetrics::checkpoint).allMatch(c -> c.startsWith("s3a://"));
    assertThat(remoteFiles()).contains("layout.properties", "checkpoints/epoch-0001/epoch.properties",
        "checkpoints/epoch-0002/epoch.properties", "checkpoints/epoch-0002/variables.index", "final/saved_model.pb",
        "best/model.json");
    // another machine: no local mirror of the run
    try (Stream<Path> mirrors = Files.list(Path.of(System.getProperty("java.io.tmpdir"), "cvpipe-runs"))) {
      for (Path mirror : mirrors.filter(p -> p.getFileName().toString().startsWith("remote-")).toList()) {
        try (Stream<Path> walk = Files.walk(mirror)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }

    List<EpochMetrics> resumed = new TrainJob(spark, settings("train.epochs=3", "train.resume=true"), 1).run();

    assertThat(resumed).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(resumed.get(1).trainLoss()).as("epoch 2 read back, not trained again").isEqualTo(first.get(1).trainLoss());
    List<String> files = remoteFiles();
    assertThat(files).contains("checkpoints/epoch-0003/epoch.properties", "checkpoints/epoch-0003/variables.index");
    assertThat(files.stream().filter(f -> f.startsWith("checkpoints/") && f.endsWith("variables.index")).count())
        .as("pruned weights are removed remotely too: the latest and the 1 best keep theirs").isLessThanOrEqualTo(2);
    List<String> checkpoints = spark.sql("SELECT checkpoint FROM cvpipe.runs.train_metrics WHERE run = 'remote' "
        + "ORDER BY epoch").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(checkpoints).hasSize(3).allMatch(c -> c.startsWith(s3.uri("models/remote/checkpoints/epoch-000")));
  }
}
