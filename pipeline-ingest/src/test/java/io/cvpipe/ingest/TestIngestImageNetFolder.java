package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestIngestImageNetFolder {

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static IngestReport ingest(String dataset, Path source, String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=" + dataset, "ingest.source=" + source,
        "ingest.format=imagenet-folder", "ingest.files-per-task=16", "ingest.progress-interval=0s"));
    sets.addAll(List.of(extra));
    return new IngestJob(spark, IngestSettings.from(Settings.load(null, sets))).run();
  }

  @Test
  void everyFileLandsInSamplesOrQuarantineWithItsReason() {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src1"), 3, 6, 2, 64, 48, true, 1);

    IngestReport report = ingest("folder", layout.root());

    assertThat(report.rowsIn()).isEqualTo(layout.files().size());
    assertThat(report.samplesWritten()).isEqualTo(layout.accepted());
    assertThat(report.quarantined()).isEqualTo(layout.rejected());
    assertThat(spark.table("cvpipe.folder.samples").count()).isEqualTo(layout.accepted());
    Map<String, String> reasons = new HashMap<>();
    for (Row r : spark.sql("SELECT source_path, reason FROM cvpipe.folder.quarantine").collectAsList()) {
      reasons.put(relative(layout.root(), r.getString(0)), r.getString(1));
    }
    Map<String, String> expected = new HashMap<>();
    layout.files().forEach((path, reason) -> {
      if (reason != null) {
        expected.put(path, reason.code());
      }
    });
    assertThat(reasons).isEqualTo(expected);
  }

  @Test
  void samplesKeepTheExactBytesAndTheTrueFormat() throws IOException {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src2"), 2, 3, 1, 64, 48, true, 2);
    ingest("bytes", layout.root());

    List<Row> rows = spark.sql("SELECT * FROM cvpipe.bytes.samples").collectAsList();

    assertThat(spark.table("cvpipe.bytes.samples").schema().fieldNames()).containsExactly(Schemas.SAMPLES.fieldNames());
    for (Row row : rows) {
      String rel = relative(layout.root(), row.getAs("source_path"));
      byte[] file = Files.readAllBytes(layout.root().resolve(rel));
      assertThat((byte[]) row.getAs("image")).isEqualTo(file);
      assertThat((String) row.getAs("sha256")).isEqualTo(SampleIds.sha256Hex(file));
      assertThat((long) row.getAs("sample_id")).isEqualTo(SampleIds.of(rel));
      assertThat((long) row.getAs("byte_size")).isEqualTo(file.length);
    }
    Row png = spark.sql("SELECT format, channels, width, height FROM cvpipe.bytes.samples "
        + "WHERE source_path LIKE '%png_named.JPEG'").first();
    assertThat(png.getString(0)).isEqualTo("png");
    Row cmyk = spark.sql("SELECT format, channels FROM cvpipe.bytes.samples WHERE source_path LIKE '%cmyk.JPEG'").first();
    assertThat(cmyk.getInt(1)).isEqualTo(4);
  }

  @Test
  void classesAreNumberedInSortedLabelOrderWithNames() {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src3"), 4, 2, 1, 32, 32, false, 3);
    ingest("classes", layout.root());

    List<Row> classes = spark.sql("SELECT class_index, label, name FROM cvpipe.classes.classes ORDER BY class_index").collectAsList();
    List<Row> mismatched = spark.sql("SELECT s.* FROM cvpipe.classes.samples s JOIN cvpipe.classes.classes c "
        + "ON s.class_index = c.class_index WHERE s.label != c.label").collectAsList();

    assertThat(classes).extracting(r -> r.getString(1)).containsExactly(
        SyntheticImages.label(0), SyntheticImages.label(1), SyntheticImages.label(2), SyntheticImages.label(3));
    assertThat(classes).extracting(r -> r.getString(2)).containsExactly("circle", "square", "triangle", "cross");
    assertThat(mismatched).isEmpty();
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.classes.samples WHERE split = 'val' AND class_index IS NULL").first().getLong(0))
        .isZero();
  }

  @Test
  void reRunChangesNothingAndNewFilesAreAddedAlone() throws IOException {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src4"), 2, 4, 0, 32, 32, true, 4);
    ingest("incremental", layout.root());
    long snapshots = snapshots("samples");
    long quarantineSnapshots = snapshots("quarantine");

    IngestReport again = ingest("incremental", layout.root());

    assertThat(again.alreadyPresent()).isEqualTo(layout.files().size());
    assertThat(again.samplesWritten()).isZero();
    assertThat(again.quarantined()).isZero();
    assertThat(snapshots("samples")).isEqualTo(snapshots);
    assertThat(snapshots("quarantine")).isEqualTo(quarantineSnapshots);

    Path extra = layout.root().resolve("train").resolve(SyntheticImages.label(1)).resolve("late.JPEG");
    Files.write(extra, SyntheticImages.jpeg(SyntheticImages.shape(1, 32, 32, new Random(5)), 0.9f));
    Files.write(layout.root().resolve("train").resolve(SyntheticImages.label(1)).resolve("late_broken.JPEG"), new byte[] {1, 2});

    IngestReport third = ingest("incremental", layout.root());

    assertThat(third.samplesWritten()).isEqualTo(1);
    assertThat(third.quarantineReasons()).containsEntry(QuarantineReason.NOT_AN_IMAGE.code(), 1L);
    assertThat(third.alreadyPresent()).isEqualTo(layout.files().size());
    assertThat(spark.table("cvpipe.incremental.samples").count()).isEqualTo(layout.accepted() + 1);
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.runs.ingest WHERE dataset = 'incremental'").first().getLong(0))
        .isEqualTo(3);
  }

  @Test
  void aLabelSortingBeforeKnownOnesIsRefused() throws IOException {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src5"), 2, 2, 0, 32, 32, false, 5);
    ingest("renumber", layout.root());
    Path early = Files.createDirectories(layout.root().resolve("train/a_first"));
    Files.write(early.resolve("x.JPEG"), SyntheticImages.jpeg(SyntheticImages.shape(0, 32, 32, new Random(1)), 0.9f));

    assertThatThrownBy(() -> ingest("renumber", layout.root()))
        .hasMessageContaining("[a_first]")
        .hasMessageContaining("would change class_index of existing samples");
  }

  @Test
  void sourceErrorsSayWhatToFix() throws IOException {
    assertThatThrownBy(() -> ingest("missing", tmp.resolve("nowhere")))
        .hasMessageContaining("ingest.source")
        .hasMessageContaining("does not exist");
    Path empty = Files.createDirectories(tmp.resolve("nosplits"));
    Files.writeString(empty.resolve("readme.txt"), "hi");
    assertThatThrownBy(() -> ingest("nosplits", empty))
        .hasMessageContaining("has no split directories");
    Path flat = Files.createDirectories(tmp.resolve("badlabels/val"));
    Files.write(flat.resolve("a.JPEG"), SyntheticImages.jpeg(SyntheticImages.shape(0, 16, 16, new Random(1)), 0.9f));
    Files.writeString(tmp.resolve("badlabels/labels.txt"), "onlyonecolumn\n");
    assertThatThrownBy(() -> ingest("badlabels", tmp.resolve("badlabels"), "ingest.labels-file=" + tmp.resolve("badlabels/labels.txt")))
        .hasMessageContaining("labels.txt, line 1")
        .hasMessageContaining("onlyonecolumn");
    assertThatThrownBy(() -> ingest("bad-name!", empty))
        .hasMessageContaining("dataset: 'bad-name!' is not a valid dataset name");
  }

  private static long snapshots(String table) {
    return spark.sql("SELECT count(*) FROM cvpipe.incremental." + table + ".snapshots").first().getLong(0);
  }

  private static String relative(Path root, String sourcePath) {
    String prefix = root.toUri().getPath();
    String path = java.net.URI.create(sourcePath).getPath();
    return path.substring(prefix.length());
  }
}
