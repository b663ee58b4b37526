package io.cvpipe.ingest.internal;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One COCO object annotation as read from instances_*.json: bbox [x, y, w, h], and a segmentation that is
 * either polygons ({@code iscrowd = 0}) or an RLE mask, uncompressed counts or the compressed string.
 */
public record CocoAnnotation(
    long annotationId,
    long imageId,
    int categoryId,
    Integer classIndex,
    double[] bbox,
    Double area,
    boolean iscrowd,
    double[][] polygons,
    int[] rleSize,
    int[] rleCounts,
    String rleCompressed) implements Serializable {

  public CocoAnnotation withClassIndex(Integer index) {
    return new CocoAnnotation(annotationId, imageId, categoryId, index, bbox, area, iscrowd, polygons, rleSize,
        rleCounts, rleCompressed);
  }

  /** A row of {@code Schemas.ANNOTATION}: primitive arrays, and Scala sequences for nested ones (Spark's encoder). */
  public Row toRow() {
    Object polys = polygons == null ? null : CollectionConverters.asScala(Arrays.asList((Object[]) polygons)).toSeq();
    return RowFactory.create(annotationId, categoryId, classIndex, bbox, area, iscrowd, polys, rleSize, rleCounts,
        rleCompressed);
  }
}
