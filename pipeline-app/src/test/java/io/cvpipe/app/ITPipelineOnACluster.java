package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.testing.TestS3;
import io.cvpipe.common.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cvpipe run} submitted to a real standalone cluster on localhost, once in client and once in cluster deploy
 * mode (the pipeline config shipped with {@code --files}), with the source, the warehouse and the models on s3a://
 * (S3Proxy in this JVM): ingest, train, reinforce with the trained teacher, eval, each stage reading and writing
 * s3a. The S3 credentials come from the AWS environment of the cluster's processes, and the secret key appears in no
 * log line, table, lineage event or object the runs wrote.
 */
class ITPipelineOnACluster {

  @TempDir
  Path tmp;
  private StandaloneCluster cluster;
  private TestS3 s3;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  private org.apache.hadoop.conf.Configuration hadoop() {
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    s3.sparkConf().forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
    return conf;
  }

  private void upload(Path root, String target) throws Exception {
    org.apache.hadoop.fs.Path base = new org.apache.hadoop.fs.Path(target);
    FileSystem fs = base.getFileSystem(hadoop());
    // plain PUTs: S3A's copyFromLocalFile (transfer manager) is refused by S3Proxy with a checksum mismatch
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        try (FSDataOutputStream out = fs.create(new org.apache.hadoop.fs.Path(base, root.relativize(file).toString()))) {
          out.write(Files.readAllBytes(file));
        }
      }
    }
  }

  @Test
  void runsThePipelineOnS3InClientAndClusterModeAndPrintsNoSecret() throws Exception {
    s3 = TestS3.start();
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 3, 12, 4, 32, 32, true, 11);
    upload(layout.root(), s3.uri("source"));
    Path pipeline = tmp.resolve("pipeline.conf");
    Files.writeString(pipeline, """
        warehouse = "%s"
        dataset = shapes
        ingest.progress-interval = 0s
        train {
          model = resnet18, width = 0.0625, stem-stride = 1, stem-pool = false, epochs = 1, device = cpu
          sampler { kind = ssc-fbs, crop-size = 24, batch-size = 8 }
          models-dir = "%s"${dataset}
        }
        reinforce { augmentations = 2, top-k = 3, batch-size = 8 }
        eval.reports-dir = "%s"
        run {
          name = nightly
          openlineage.file = "%s"
          stages = [
            { stage = ingest, set { ingest.source = "%s" } }
            { stage = train, set { train.run = ${dataset}-teacher } }
            { stage = reinforce, set { reinforce.teachers = [${dataset}-teacher] } }
            { stage = eval, set { eval.model = ${dataset}-teacher, eval.split = val } }
          ]
        }
        """.formatted(s3.uri("warehouse"), s3.uri("models/"), tmp.resolve("reports"), tmp.resolve("openlineage.jsonl"),
        s3.uri("source")), StandardCharsets.UTF_8);

    cluster = new StandaloneCluster(tmp, s3.credentialsEnvironment(), StandaloneCluster.testJars("hadoop-aws",
        "bundle-2"));
    cluster.start(3, "4g", List.of(List.of()));
    List<String> options = new ArrayList<>(List.of("--conf", "spark.executor.cores=1", "--conf",
        "spark.executor.memory=1g", "--conf", "spark.cores.max=1", "--conf", "spark.driver.memory=1g"));
    s3.endpointConf().forEach((k, v) -> options.addAll(List.of("--conf", k + "=" + v)));

    // client mode: the driver is the submitting process, the config a local file
    List<String> client = new ArrayList<>(options);
    client.addAll(List.of("--deploy-mode", "client"));
    Process driver = cluster.submit("client", client, List.of("run", "--conf", pipeline.toString()));
    assertThat(driver.waitFor(10, TimeUnit.MINUTES)).as("the client-mode run ends").isTrue();
    String clientLog = Files.readString(cluster.log("client"));
    assertThat(driver.exitValue()).as(clientLog).isZero();
    assertThat(clientLog).contains("run nightly: stage 1/4 (ingest) done", "run nightly: stage 2/4 (train) done",
        "run nightly: stage 3/4 (reinforce) done", "run nightly: stage 4/4 (eval) done", "run nightly: all 4 stages done");

    // cluster mode: the driver runs on the worker, the config shipped with --files, another dataset
    List<String> clusterMode = new ArrayList<>(options);
    clusterMode.addAll(List.of("--deploy-mode", "cluster", "--files", pipeline.toString(),
        "--conf", "spark.standalone.submit.waitAppCompletion=true"));
    Process submitted = cluster.submit("cluster", clusterMode, List.of("run", "--conf", "pipeline.conf",
        "--set", "dataset=shapes_cluster", "--set", "run.name=nightly-cluster"));
    assertThat(submitted.waitFor(10, TimeUnit.MINUTES)).as("the cluster-mode run ends").isTrue();
    List<String> driverOut = StandaloneCluster.filesNamed(cluster.workDir(0), "stdout").stream()
        .filter(s -> s.contains("run nightly-cluster")).toList();
    assertThat(driverOut).as(Files.readString(cluster.log("cluster"))).hasSize(1);
    assertThat(driverOut.get(0)).as(String.join("\n", StandaloneCluster.filesNamed(cluster.workDir(0), "stderr")))
        .contains("run nightly-cluster: stage 4/4 (eval) done",
        "run nightly-cluster: all 4 stages done");

    // what the runs wrote, read back from s3a
    SparkSession spark = TestSpark.start(s3.uri("warehouse"), s3.sparkConf());
    try {
      assertThat(spark.sql("SELECT pipeline, stage, status, outputs FROM cvpipe.runs.stages WHERE status = "
          + "'succeeded'").collectAsList()).hasSize(8).allMatch(r -> r.getString(3).contains("s3a://")
              || r.getString(3).startsWith("cvpipe."));
      assertThat(spark.table("cvpipe.shapes_cluster.samples").count()).isEqualTo(layout.accepted());
      assertThat(spark.sql("SELECT count(DISTINCT sample_id) FROM cvpipe.shapes.reinforced").first().getLong(0))
          .isEqualTo(acceptedTraining(layout));
      assertThat(spark.sql("SELECT model FROM cvpipe.runs.eval_metrics").collectAsList())
          .allMatch(r -> r.getString(0).startsWith(s3.uri("models/shapes")));
      for (String table : List.of("shapes.samples", "runs.stages", "shapes_cluster.reinforced")) {
        assertThat(spark.sql("SELECT file_path FROM cvpipe." + table + ".files").collectAsList())
            .isNotEmpty().allMatch(r -> r.getString(0).startsWith(s3.uri("warehouse/")));
      }
    } finally {
      spark.stop();
    }

    // the secret: in no file the cluster's processes wrote here (logs, executor and driver output, events,
    // reports) and in no object the runs put on S3
    List<String> leaks = new ArrayList<>();
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.startsWith(tmp.resolve("src"))).toList()) {
        if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(s3.secretKey())) {
          leaks.add(f.toString());
        }
      }
    }
    org.apache.hadoop.fs.Path bucket = new org.apache.hadoop.fs.Path(s3.uri(""));
    FileSystem fs = bucket.getFileSystem(hadoop());
    int objects = 0;
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(bucket, true);
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      objects++;
      try (FSDataInputStream in = fs.open(f.getPath())) {
        if (new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(s3.secretKey())) {
          leaks.add(f.getPath().toString());
        }
      }
    }
    assertThat(objects).isGreaterThan(50);
    assertThat(Files.readString(tmp.resolve("openlineage.jsonl"))).contains("\"name\":\"cvpipe.shapes.samples\"")
        .contains("s3a://" + TestS3.BUCKET);
    assertThat(leaks).as("files holding the S3 secret key").isEmpty();
  }

  /** The training images ingest accepts (the bad ones among them are quarantined, so not reinforced). */
  private static long acceptedTraining(SyntheticImages.Layout layout) {
    return layout.files().entrySet().stream().filter(e -> e.getKey().startsWith("train/") && e.getValue() == null)
        .count();
  }
}
