package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestIngestImageNetTar {

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static Path source;
  private static IngestReport first;

  /** The layout of the official tars: a tar of per-class tars, and a flat val tar with a labels CSV. */
  @BeforeAll
  static void writeTarsAndIngest() throws IOException {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    source = Files.createDirectories(tmp.resolve("ilsvrc"));
    Random rnd = new Random(11);
    Map<String, byte[]> outer = new LinkedHashMap<>();
    for (int c = 0; c < 3; c++) {
      Map<String, byte[]> members = new LinkedHashMap<>();
      for (int i = 0; i < 5; i++) {
        members.put(SyntheticImages.label(c) + "_" + i + ".JPEG", SyntheticImages.jpeg(SyntheticImages.shape(c, 48, 40, rnd), 0.9f));
      }
      if (c == 0) {
        members.put("broken.JPEG", SyntheticImages.truncate(SyntheticImages.jpeg(SyntheticImages.shape(0, 48, 40, rnd), 0.9f), 0.5));
        members.put("../escape.JPEG", SyntheticImages.jpeg(SyntheticImages.shape(0, 48, 40, rnd), 0.9f));
        members.put("README", "not an image".getBytes(StandardCharsets.UTF_8));
      }
      outer.put(SyntheticImages.label(c) + ".tar", tar(members));
    }
    Files.write(source.resolve("ILSVRC2012_img_train.tar"), tar(outer));

    Map<String, byte[]> val = new LinkedHashMap<>();
    StringBuilder labels = new StringBuilder("ImageId,PredictionString\n");
    for (int i = 1; i <= 6; i++) {
      String name = String.format("ILSVRC2012_val_%08d", i);
      val.put(name + ".JPEG", SyntheticImages.jpeg(SyntheticImages.shape(i % 3, 48, 40, rnd), 0.9f));
      labels.append(name).append(',').append(SyntheticImages.label(i % 3)).append(" 1 1 10 10\n");
    }
    val.put("/etc/absolute.JPEG", SyntheticImages.jpeg(SyntheticImages.shape(0, 48, 40, rnd), 0.9f));
    val.put("ILSVRC2012_val_00000099.JPEG", SyntheticImages.jpeg(SyntheticImages.shape(0, 48, 40, rnd), 0.9f));
    Files.write(source.resolve("ILSVRC2012_img_val.tar"), tar(val));
    Files.writeString(source.resolve("LOC_val_solution.csv"), labels);
    Files.writeString(source.resolve("LOC_synset_mapping.txt"),
        SyntheticImages.label(0) + " circle\n" + SyntheticImages.label(1) + " square\n" + SyntheticImages.label(2) + " triangle\n");

    first = ingest("tars", source);
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static IngestReport ingest(String dataset, Path src) {
    List<String> sets = new ArrayList<>(List.of("dataset=" + dataset, "ingest.source=" + src,
        "ingest.format=imagenet-tar", "ingest.files-per-task=4", "ingest.progress-interval=0s"));
    return new IngestJob(spark, IngestSettings.from(Settings.load(null, sets))).run();
  }

  @Test
  void everyMemberOfBothTarsIsAccountedFor() {
    // train: 3 x 5 good + broken + ../escape + README; val: 6 good + /etc/absolute + one without a label
    assertThat(first.rowsIn()).isEqualTo(15 + 3 + 6 + 2);
    assertThat(first.samplesWritten()).isEqualTo(21);
    assertThat(first.quarantineReasons()).containsOnly(
        Map.entry("truncated", 1L), Map.entry("unsafe_path", 2L), Map.entry("non_image_file", 1L), Map.entry("no_label", 1L));
    assertThat(spark.table("cvpipe.tars.samples").count()).isEqualTo(21);
    assertThat(spark.table("cvpipe.tars.quarantine").count()).isEqualTo(5);
  }

  @Test
  void sampleIdsAreTheOnesAnUnpackedFolderWouldGet() {
    Set<Long> ids = new HashSet<>();
    for (Row r : spark.sql("SELECT sample_id FROM cvpipe.tars.samples").collectAsList()) {
      ids.add(r.getLong(0));
    }

    assertThat(ids).contains(
        SampleIds.of("train/" + SyntheticImages.label(1) + "/" + SyntheticImages.label(1) + "_3.JPEG"),
        SampleIds.of("val/ILSVRC2012_val_00000004.JPEG"));
    Row member = spark.sql("SELECT source_path, label, class_index FROM cvpipe.tars.samples WHERE sample_id = "
        + SampleIds.of("train/" + SyntheticImages.label(2) + "/" + SyntheticImages.label(2) + "_0.JPEG")).first();
    assertThat(member.getString(0)).endsWith("ILSVRC2012_img_train.tar!/" + SyntheticImages.label(2) + ".tar!/"
        + SyntheticImages.label(2) + "_0.JPEG");
    assertThat(member.getString(1)).isEqualTo(SyntheticImages.label(2));
    assertThat(member.getInt(2)).isEqualTo(2);
  }

  @Test
  void unsafeNamesAreQuarantinedNotFollowed() {
    List<String> unsafe = spark.sql("SELECT message FROM cvpipe.tars.quarantine WHERE reason = 'unsafe_path'")
        .collectAsList().stream().map(r -> r.getString(0)).toList();

    assertThat(unsafe).anyMatch(m -> m.contains("'..'")).anyMatch(m -> m.contains("absolute path '/etc/absolute.JPEG'"));
    assertThat(tmp.resolve("escape.JPEG")).doesNotExist();
  }

  @Test
  void reRunStreamsButCommitsNothing() {
    long snapshots = spark.sql("SELECT count(*) FROM cvpipe.tars.samples.snapshots").first().getLong(0);

    IngestReport again = ingest("tars", source);

    assertThat(again.rowsIn()).isEqualTo(first.rowsIn());
    assertThat(again.alreadyPresent()).isEqualTo(first.rowsIn());
    assertThat(again.samplesWritten() + again.quarantined()).isZero();
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.tars.samples.snapshots").first().getLong(0)).isEqualTo(snapshots);
  }

  @Test
  void aTruncatedOuterTarIsAClearError() throws IOException {
    Path cut = Files.createDirectories(tmp.resolve("cut"));
    byte[] whole = Files.readAllBytes(source.resolve("ILSVRC2012_img_val.tar"));
    Files.write(cut.resolve("ILSVRC2012_img_val.tar"), java.util.Arrays.copyOf(whole, 700));

    assertThatThrownBy(() -> ingest("cut", cut))
        .hasMessageContaining("cannot read the tar")
        .hasMessageContaining("ILSVRC2012_img_val.tar")
        .hasMessageContaining("download is complete");
  }

  static byte[] tar(Map<String, byte[]> members) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> m : members.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(m.getKey(), true);
        entry.setSize(m.getValue().length);
        out.putArchiveEntry(entry);
        ((OutputStream) out).write(m.getValue());
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }
}
