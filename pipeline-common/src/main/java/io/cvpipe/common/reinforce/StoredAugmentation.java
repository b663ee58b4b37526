package io.cvpipe.common.reinforce;

import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.RandAugment;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.iceberg.data.Record;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * One row of {@code cvpipe.<dataset>.reinforced} (schema {@link io.cvpipe.common.table.Schemas#REINFORCED}):
 * written by reinforce as a Spark row, read back by training from the table's Parquet files as an Iceberg
 * record. The one place that knows how an {@link Augmentation} maps to columns.
 */
public record StoredAugmentation(long sampleId, int index, Integer classIndex, Augmentation augmentation,
    TeacherTopK teacher) implements Serializable {

  public Row toRow(String split, String version) {
    Augmentation a = augmentation;
    Augmentation.Mixing m = a.mixing();
    return RowFactory.create(sampleId, split, index, classIndex, seq(crop(a.crop())), a.crop().flip(), seq(codes(a.ops())),
        seq(box(a.erasing())), m == null ? null : m.kind(), m == null ? null : m.mixupLambda(),
        m == null ? null : seq(box(m.cutmixBox())), m == null ? null : m.partnerId(),
        m == null ? null : seq(crop(m.partnerCrop())), m == null ? null : m.partnerCrop().flip(),
        m == null ? null : seq(codes(m.partnerOps())), m == null ? null : seq(box(m.partnerErasing())),
        seq(Arrays.stream(teacher.classes()).boxed().toList()), seq(floats(teacher.probabilities())), version);
  }

  /** Rows bound for an RDD-to-DataFrame conversion carry Scala sequences for arrays. */
  private static scala.collection.immutable.Seq<?> seq(List<?> values) {
    return values == null ? null : scala.jdk.javaapi.CollectionConverters.asScala(values).toList();
  }

  /** Reads a row of the table as the Iceberg generic Parquet reader gives it. */
  public static StoredAugmentation from(Record r) {
    CropBox crop = crop(r.getField("crop"), (Boolean) r.getField("flip"));
    Augmentation.Mixing mixing = null;
    if (r.getField("mix") != null) {
      mixing = new Augmentation.Mixing((Float) r.getField("mix_lambda"), box(r.getField("mix_box")),
          (Long) r.getField("partner_id"), crop(r.getField("partner_crop"), (Boolean) r.getField("partner_flip")),
          ops(r.getField("partner_ops")), box(r.getField("partner_erase")));
    }
    List<?> classes = (List<?>) r.getField("teacher_classes");
    List<?> probs = (List<?>) r.getField("teacher_probs");
    int[] c = new int[classes.size()];
    float[] p = new float[probs.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = (Integer) classes.get(i);
      p[i] = (Float) probs.get(i);
    }
    return new StoredAugmentation((Long) r.getField("sample_id"), (Integer) r.getField("augmentation"),
        (Integer) r.getField("class_index"), new Augmentation(crop, ops(r.getField("ops")), box(r.getField("erase")), mixing),
        new TeacherTopK(c, p));
  }

  private static List<Integer> crop(CropBox b) {
    return List.of(b.top(), b.left(), b.height(), b.width());
  }

  private static CropBox crop(Object stored, boolean flip) {
    List<?> v = (List<?>) stored;
    return new CropBox((Integer) v.get(0), (Integer) v.get(1), (Integer) v.get(2), (Integer) v.get(3), flip);
  }

  private static List<String> codes(RandAugment.Applied[] ops) {
    return Arrays.stream(ops).map(RandAugment.Applied::code).toList();
  }

  private static RandAugment.Applied[] ops(Object stored) {
    return ((List<?>) stored).stream().map(o -> RandAugment.Applied.parse((String) o)).toArray(RandAugment.Applied[]::new);
  }

  private static List<Float> box(Augmentation.Box b) {
    return b == null ? null : List.of(b.top(), b.left(), b.height(), b.width());
  }

  private static Augmentation.Box box(Object stored) {
    if (stored == null) {
      return null;
    }
    List<?> v = (List<?>) stored;
    return new Augmentation.Box((Float) v.get(0), (Float) v.get(1), (Float) v.get(2), (Float) v.get(3));
  }

  private static List<Float> floats(float[] values) {
    List<Float> out = new ArrayList<>(values.length);
    for (float v : values) {
      out.add(v);
    }
    return out;
  }
}
