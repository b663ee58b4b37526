package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestS3;
import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source and warehouse both on s3a://, against a real S3-protocol server in this JVM. */
class TestIngestS3 {

  @TempDir
  static Path tmp;
  private static TestS3 s3;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws Exception {
    s3 = TestS3.start();
    spark = TestSpark.start(s3.uri("warehouse"), s3.sparkConf());
  }

  @AfterAll
  static void stop() throws Exception {
    spark.stop();
    s3.close();
  }

  @Test
  void ingestsFromS3IntoAnS3Warehouse() throws Exception {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 2, 5, 2, 48, 40, true, 9);
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(s3.uri("imagenet"));
    FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
    // plain PUTs: S3A's copyFromLocalFile (transfer manager) is refused by S3Proxy with a checksum mismatch
    try (Stream<Path> files = Files.walk(layout.root())) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        try (FSDataOutputStream out = fs.create(new org.apache.hadoop.fs.Path(target, layout.root().relativize(file).toString()))) {
          out.write(Files.readAllBytes(file));
        }
      }
    }
    List<String> sets = List.of("dataset=s3", "ingest.source=" + s3.uri("imagenet"), "ingest.progress-interval=0s");

    IngestReport report = new IngestJob(spark, IngestSettings.from(Settings.load(null, sets))).run();
    IngestReport again = new IngestJob(spark, IngestSettings.from(Settings.load(null, sets))).run();

    assertThat(report.rowsIn()).isEqualTo(layout.files().size());
    assertThat(report.samplesWritten()).isEqualTo(layout.accepted());
    assertThat(report.quarantined()).isEqualTo(layout.rejected());
    assertThat(spark.table("cvpipe.s3.samples").count()).isEqualTo(layout.accepted());
    assertThat(spark.sql("SELECT min(source_path) FROM cvpipe.s3.samples").first().getString(0)).startsWith("s3a://");
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(s3.uri("warehouse/s3/samples/metadata")))).isTrue();
    assertThat(again.alreadyPresent()).isEqualTo(layout.files().size());
    assertThat(again.samplesWritten() + again.quarantined()).isZero();
  }
}
