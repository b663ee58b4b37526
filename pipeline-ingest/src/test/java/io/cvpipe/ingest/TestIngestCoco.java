package io.cvpipe.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestIngestCoco {

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static Path source;
  private static IngestReport first;

  private static final String JSON = """
      {
        "info": {"description": "cvpipe test", "year": 2026},
        "licenses": [],
        "images": [
          {"id": 11, "file_name": "000011.jpg", "width": 64, "height": 48},
          {"id": 12, "file_name": "000012.jpg", "width": 64, "height": 48},
          {"id": 13, "file_name": "000013.jpg", "width": 64, "height": 48},
          {"id": 14, "file_name": "000014.jpg", "width": 64, "height": 48},
          {"id": 15, "file_name": "missing.jpg", "width": 64, "height": 48}
        ],
        "annotations": [
          {"id": 101, "image_id": 11, "category_id": 1, "bbox": [1, 2, 30, 20], "area": 450.5, "iscrowd": 0,
           "segmentation": [[1, 2, 31, 2, 31, 22, 1, 22]]},
          {"id": 102, "image_id": 11, "category_id": 10, "bbox": [5, 5, 10, 10], "area": 100, "iscrowd": 1,
           "segmentation": {"size": [48, 64], "counts": [5, 10, 3000]}},
          {"id": 103, "image_id": 12, "category_id": 3, "bbox": [0, 0, 8, 8], "area": 64, "iscrowd": 1,
           "segmentation": {"size": [48, 64], "counts": "61X13mN000"}},
          {"id": 104, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "segmentation": []},
          {"id": 105, "image_id": 12, "category_id": 7, "bbox": [0, 0, 1, 1], "segmentation": []},
          {"id": 106, "image_id": 13, "category_id": 1, "bbox": [0, 0, 1], "segmentation": []},
          {"id": 107, "image_id": 14, "category_id": 3, "bbox": [2, 2, 4, 4], "segmentation": [[2, 2, 6, 2, 6, 6]]},
          {"id": 108, "image_id": 15, "category_id": 3, "bbox": [2, 2, 4, 4], "segmentation": [[2, 2, 6, 2, 6, 6]]}
        ],
        "categories": [
          {"id": 10, "name": "kite", "supercategory": "sports"},
          {"id": 1, "name": "person", "supercategory": "person"},
          {"id": 3, "name": "car", "supercategory": "vehicle"}
        ]
      }
      """;

  @BeforeAll
  static void writeCocoAndIngest() throws IOException {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    source = tmp.resolve("coco");
    Path images = Files.createDirectories(source.resolve("val2017"));
    Files.createDirectories(source.resolve("annotations"));
    Files.writeString(source.resolve("annotations/instances_val2017.json"), JSON);
    Random rnd = new Random(3);
    for (int id = 11; id <= 13; id++) {
      Files.write(images.resolve(String.format("%06d.jpg", id)), SyntheticImages.jpeg(SyntheticImages.shape(id, 64, 48, rnd), 0.9f));
    }
    Files.write(images.resolve("000014.jpg"), SyntheticImages.truncate(SyntheticImages.jpeg(SyntheticImages.shape(1, 64, 48, rnd), 0.9f), 0.4));
    Files.write(images.resolve("stray.jpg"), SyntheticImages.jpeg(SyntheticImages.shape(2, 64, 48, rnd), 0.9f));

    first = ingest("coco", source);
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private static IngestReport ingest(String dataset, Path src) {
    return new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=" + dataset,
        "ingest.source=" + src, "ingest.format=coco", "ingest.progress-interval=0s")))).run();
  }

  @Test
  void imagesAndAnnotationsAreAllAccountedFor() {
    // 5 listed images + 1 stray file + 3 annotations that cannot be attached
    assertThat(first.rowsIn()).isEqualTo(9);
    assertThat(first.samplesWritten()).isEqualTo(3);
    assertThat(first.quarantineReasons()).containsOnly(Map.entry("image_missing", 1L), Map.entry("truncated", 1L),
        Map.entry("not_in_annotations", 1L), Map.entry("unknown_image", 1L), Map.entry("unknown_category", 1L),
        Map.entry("bad_annotation", 1L));
    assertThat(first.annotationsWritten()).isEqualTo(3);
    List<Row> kinds = spark.sql("SELECT kind, count(*) FROM cvpipe.coco.quarantine GROUP BY kind ORDER BY kind").collectAsList();
    assertThat(kinds).extracting(r -> r.getString(0) + "=" + r.getLong(1)).containsExactly("annotation=3", "image=3");
    assertThat(spark.sql("SELECT message FROM cvpipe.coco.quarantine WHERE reason = 'truncated'").first().getString(0))
        .contains("its 1 annotations are not ingested");
  }

  @Test
  void categoriesAreNumberedBySortedId() {
    List<Row> classes = spark.sql("SELECT class_index, label, name FROM cvpipe.coco.classes ORDER BY class_index").collectAsList();

    assertThat(classes).extracting(r -> r.getInt(0) + ":" + r.getString(1) + ":" + r.getString(2))
        .containsExactly("0:1:person", "1:3:car", "2:10:kite");
  }

  @Test
  void annotationsAreNestedInSamplesAndFlatInTheirTable() {
    Row image11 = spark.sql("SELECT image_id, size(annotations), annotations[0].class_index, annotations[0].polygons[0], "
        + "annotations[1].rle_counts, annotations[1].iscrowd FROM cvpipe.coco.samples WHERE image_id = 11").first();
    Row rle = spark.sql("SELECT rle_compressed, rle_size, class_index, bbox FROM cvpipe.coco.annotations WHERE annotation_id = 103").first();

    assertThat(image11.getLong(0)).isEqualTo(11);
    assertThat(image11.getInt(1)).isEqualTo(2);
    assertThat(image11.getInt(2)).isEqualTo(0);
    assertThat(image11.getList(3)).containsExactly(1.0, 2.0, 31.0, 2.0, 31.0, 22.0, 1.0, 22.0);
    assertThat(image11.getList(4)).containsExactly(5, 10, 3000);
    assertThat(image11.getBoolean(5)).isTrue();
    assertThat(rle.getString(0)).isEqualTo("61X13mN000");
    assertThat(rle.getList(1)).containsExactly(48, 64);
    assertThat(rle.getInt(2)).isEqualTo(1);
    assertThat(rle.getList(3)).containsExactly(0.0, 0.0, 8.0, 8.0);
    assertThat(spark.sql("SELECT annotation_id FROM cvpipe.coco.annotations ORDER BY 1").collectAsList())
        .extracting(r -> r.getLong(0)).containsExactly(101L, 102L, 103L);
  }

  @Test
  void reRunCommitsNothing() {
    long snapshots = spark.sql("SELECT count(*) FROM cvpipe.coco.annotations.snapshots").first().getLong(0);

    IngestReport again = ingest("coco", source);

    assertThat(again.alreadyPresent()).isEqualTo(first.rowsIn());
    assertThat(again.samplesWritten() + again.quarantined() + again.annotationsWritten()).isZero();
    assertThat(spark.sql("SELECT count(*) FROM cvpipe.coco.annotations.snapshots").first().getLong(0)).isEqualTo(snapshots);
  }

  @Test
  void badJsonNamesTheFileAndThePosition() throws IOException {
    Path bad = Files.createDirectories(tmp.resolve("badjson/annotations"));
    Files.writeString(bad.resolve("instances_val.json"), "{\n  \"images\": [\n    {\"id\": 1, \"file_name\": \"a.jpg\"},\n    {\"id\": 2,, }\n  ]\n}\n");
    Path notCoco = Files.createDirectories(tmp.resolve("notcoco/annotations"));
    Files.writeString(notCoco.resolve("instances_val.json"), "{\"images\": {\"id\": 1}}");

    assertThatThrownBy(() -> ingest("badjson", tmp.resolve("badjson")))
        .hasMessageContaining("instances_val.json: not valid JSON at line 4, column");
    assertThatThrownBy(() -> ingest("notcoco", tmp.resolve("notcoco")))
        .hasMessageContaining("instances_val.json, line 1")
        .hasMessageContaining("expected \"images\" to be an array");
    assertThatThrownBy(() -> ingest("nococo", tmp.resolve("nowhere")))
        .hasMessageContaining("has no annotations/ directory");
  }
}
