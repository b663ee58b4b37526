package io.cvpipe.common.testing;

import io.cvpipe.common.SampleIds;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A samples table and its classes table of generated coloured shapes (4 classes, JPEG), written as ingest
 * writes them: for the stages after ingest, which meet ingest only in tables.
 */
public final class ShapesTable {

  private ShapesTable() {}

  /**
   * Writes {@code cvpipe.<dataset>.samples} with {@code perSplit} images per split (class {@code i % 4} for
   * the i-th), {@code size x size} pixels, and {@code cvpipe.<dataset>.classes}.
   */
  public static void write(SparkSession spark, String dataset, Map<String, Integer> perSplit, int size, long seed) {
    Tables.createIfMissing(spark, Tables.samples(dataset), Schemas.SAMPLES, "split, bucket(2, sample_id)", Map.of());
    Tables.createIfMissing(spark, Tables.classes(dataset), Schemas.CLASSES, "", Map.of());
    Random rnd = new Random(seed);
    List<Row> rows = new ArrayList<>();
    perSplit.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(split -> {
      for (int i = 0; i < split.getValue(); i++) {
        int c = i % 4;
        byte[] jpeg = SyntheticImages.jpeg(SyntheticImages.shape(c, size, size, rnd), 0.9f);
        rows.add(row(split.getKey(), c, split.getKey() + "/" + SyntheticImages.label(c) + "/" + i + ".JPEG", jpeg, size));
      }
    });
    Tables.append(spark, spark.createDataFrame(rows, Schemas.SAMPLES), Tables.samples(dataset), Schemas.SAMPLES, "test");
    List<Row> classes = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      classes.add(RowFactory.create(c, SyntheticImages.label(c), SyntheticImages.SHAPES.get(c)));
    }
    Tables.append(spark, spark.createDataFrame(classes, Schemas.CLASSES), Tables.classes(dataset), Schemas.CLASSES, "test");
  }

  /** One samples row as ingest writes it (no annotations). */
  public static Row row(String split, int classIndex, String key, byte[] image, int size) {
    return RowFactory.create(SampleIds.of(key), split, SyntheticImages.label(classIndex), classIndex, image, "jpeg", size,
        size, 3, (long) image.length, SampleIds.sha256Hex(image), key, null, null, "test");
  }
}
