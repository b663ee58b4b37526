package io.cvpipe.eval.shift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cvpipe shift} as a Spark job in local[2] on a real Iceberg samples table with one undecodable row. */
class TestShiftJob {

  private static final int VAL = 24;

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void prepare() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("val", VAL, "train", 8), 32, 3);
    Tables.append(spark, spark.createDataFrame(List.of(ShapesTable.row("val", 2, "val/broken.JPEG", new byte[] {1, 2, 3}, 32)),
        Schemas.SAMPLES), Tables.samples("shapes"), Schemas.SAMPLES, "test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static ShiftSettings settings(String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("dataset=shapes", "shift.progress-interval=1h"));
    all.addAll(List.of(sets));
    return ShiftSettings.from(Settings.load(null, all));
  }

  private static Map<Long, String> digests(String split) {
    Map<Long, String> out = new HashMap<>();
    for (Row r : spark.sql("SELECT sample_id, sha256 FROM cvpipe.shapes.samples WHERE split = '" + split + "'")
        .collectAsList()) {
      out.put(r.getLong(0), r.getString(1));
    }
    return out;
  }

  @Test
  void writesEveryCopyOnceCountedAndTheSameEachTime() throws Exception {
    ShiftSettings settings = settings("shift.corruptions=[gaussian_noise, contrast, jpeg_compression]",
        "shift.severity=[1, 5]");

    ShiftJob.Result first = new ShiftJob(spark, settings).run();

    // 25 source rows (one does not decode) x 6 copies
    assertThat(first.targets().keySet()).containsExactly("val-gaussian_noise-1", "val-gaussian_noise-5",
        "val-contrast-1", "val-contrast-5", "val-jpeg_compression-1", "val-jpeg_compression-5");
    assertThat(first.rowsIn()).isEqualTo(25 * 6);
    assertThat(first.written()).isEqualTo(24 * 6);
    assertThat(first.quarantined()).isEqualTo(6);
    assertThat(first.alreadyPresent()).isZero();
    assertThat(first.written() + first.quarantined() + first.alreadyPresent()).isEqualTo(first.rowsIn());
    List<Row> quarantined = spark.sql("SELECT split, reason, message FROM cvpipe.shapes.quarantine ORDER BY split")
        .collectAsList();
    assertThat(quarantined).hasSize(6);
    assertThat(quarantined.get(0).getString(1)).isEqualTo("corrupt");
    assertThat(quarantined.get(0).getString(2)).contains("shift: the source sample val/").contains("cannot be decoded");

    // each copy keeps its source's label and size, says where it came from, and decodes to the corruption's pixels
    Row copy = spark.sql("SELECT s.class_index, c.class_index, c.width, c.height, c.format, c.source_path, c.ingest_run, "
        + "c.image, s.image FROM cvpipe.shapes.samples c JOIN cvpipe.shapes.samples s ON s.split = 'val' AND "
        + "c.source_path LIKE concat('% of val/', s.sample_id, ' from %') WHERE c.split = 'val-contrast-5' LIMIT 1").first();
    assertThat(copy.getInt(1)).isEqualTo(copy.getInt(0));
    assertThat(copy.getInt(2)).isEqualTo(32);
    assertThat(copy.getInt(3)).isEqualTo(32);
    assertThat(copy.getString(4)).isEqualTo("png");
    assertThat(copy.getString(5)).startsWith("shift contrast-5 (cifar-10-c, seed 0) of val/");
    assertThat(copy.getString(6)).isEqualTo(first.runId());
    Picture source = Picture.of(Pixels.decode((byte[]) copy.get(8)));
    Picture expected = Corruption.CONTRAST.corrupt(source, new double[] {0.15}, null);
    BufferedImage made = Pixels.decode((byte[]) copy.get(7));
    assertThat(Picture.of(made).values()).containsExactly(Picture.of(expected.image()).values());
    assertThat(spark.sql("SELECT format FROM cvpipe.shapes.samples WHERE split = 'val-jpeg_compression-1' LIMIT 1")
        .first().getString(0)).isEqualTo("jpeg");
    Row run = spark.sql("SELECT format, rows_in, already_present, samples_written, quarantined, source "
        + "FROM cvpipe.runs.ingest WHERE run_id = '" + first.runId() + "'").first();
    assertThat(run.getString(0)).isEqualTo("shift");
    assertThat(run.getLong(1)).isEqualTo(150);
    assertThat(run.getLong(3)).isEqualTo(144);
    assertThat(run.getLong(4)).isEqualTo(6);
    assertThat(run.getString(5)).startsWith("cvpipe.shapes.samples@").contains("split val: val-gaussian_noise-1");

    // eval counts the copies' rows from one scan plan, by partition: the same counts as split by split
    SampleTable pinned = SampleTable.pinned(spark, "shapes");
    List<String> splits = List.of("val-contrast-5", "val", "train", "val-gaussian_noise-1", "val-missing");
    assertThat(pinned.rowCounts(splits)).containsExactly(24, 25, 8, 24, 0);
    assertThat(pinned.rowCounts(splits)).containsExactly(splits.stream().mapToLong(pinned::rowCount).toArray());

    // a re-run has nothing to do
    ShiftJob.Result again = new ShiftJob(spark, settings).run();
    assertThat(again.written()).isZero();
    assertThat(again.quarantined()).isZero();
    assertThat(again.alreadyPresent()).isEqualTo(150);
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.shapes.quarantine").first().getLong(0)).isEqualTo(6);

    // copies made again after a deletion have the same ids and bytes; another seed makes other noise
    Map<Long, String> noise = digests("val-gaussian_noise-5");
    spark.sql("DELETE FROM cvpipe.shapes.samples WHERE split = 'val-gaussian_noise-5'");
    ShiftJob.Result remade = new ShiftJob(spark, settings).run();
    assertThat(remade.written()).isEqualTo(24);
    assertThat(remade.targets().get("val-gaussian_noise-5").written()).isEqualTo(24);
    assertThat(digests("val-gaussian_noise-5")).isEqualTo(noise);
    spark.sql("DELETE FROM cvpipe.shapes.samples WHERE split = 'val-gaussian_noise-5'");
    new ShiftJob(spark, settings("shift.corruptions=gaussian_noise", "shift.severity=5", "shift.seed=7")).run();
    Map<Long, String> reseeded = digests("val-gaussian_noise-5");
    assertThat(reseeded.keySet()).isEqualTo(noise.keySet());
    assertThat(reseeded.values()).doesNotContainAnyElementsOf(noise.values());
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.shapes.samples WHERE split = 'train'").first().getLong(0))
        .isEqualTo(8);
  }

  @Test
  void refusesUnknownCorruptionsAndMissingSplitsNamingTheKey() {
    assertThatThrownBy(() -> settings("shift.corruptions=[gaussian_noise, fog]"))
        .hasMessageContaining("shift.corruptions").hasMessageContaining("'fog'").hasMessageContaining("elastic_transform");
    assertThatThrownBy(() -> settings("shift.scale=huge")).hasMessageContaining("shift.scale")
        .hasMessageContaining("cifar-10-c");
    assertThatThrownBy(() -> new ShiftJob(spark, settings("shift.split=test", "shift.corruptions=contrast")).run())
        .hasMessageContaining("shift.split").hasMessageContaining("'test' has no rows");
  }
}
