package io.cvpipe.common.table;

import static org.apache.spark.sql.types.DataTypes.BinaryType;
import static org.apache.spark.sql.types.DataTypes.BooleanType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.TimestampType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createMapType;

import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The schemas of cvpipe's tables. README.md's "Tables" section documents each column. */
public final class Schemas {

  private Schemas() {}

  /** One COCO object annotation; nested in a sample row and, flat, in the annotations table. */
  public static final StructType ANNOTATION = new StructType(new StructField[] {
      field("annotation_id", LongType, false, "COCO annotation id"),
      field("category_id", IntegerType, false, "COCO category id"),
      field("class_index", IntegerType, false, "0-based index of the category in sorted category-id order"),
      field("bbox", createArrayType(DoubleType, false), false, "[x, y, width, height] in pixels"),
      field("area", DoubleType, true, "segment area in pixels"),
      field("iscrowd", BooleanType, false, "true for crowd regions (RLE segmentation)"),
      field("polygons", createArrayType(createArrayType(DoubleType, false), false), true,
          "polygon segmentation: each polygon [x1, y1, x2, y2, ...]"),
      field("rle_size", createArrayType(IntegerType, false), true, "RLE segmentation [height, width]"),
      field("rle_counts", createArrayType(IntegerType, false), true, "uncompressed RLE run lengths"),
      field("rle_compressed", StringType, true, "compressed (LEB128-style string) RLE counts"),
  });

  public static final StructType SAMPLES = new StructType(new StructField[] {
      field("sample_id", LongType, false, "stable id: first 8 bytes of SHA-256 of '<split>/<relative path>'"),
      field("split", StringType, false, "train, val, ..."),
      field("label", StringType, true, "class label as in the source (ImageNet synset); null for COCO"),
      field("class_index", IntegerType, true, "0-based index of label in sorted label order; null for COCO"),
      field("image", BinaryType, false, "the file's bytes, exactly as in the source"),
      field("format", StringType, false, "true format from the content: jpeg or png"),
      field("width", IntegerType, false, "pixels"),
      field("height", IntegerType, false, "pixels"),
      field("channels", IntegerType, false, "1 grey, 2 grey+alpha, 3 colour, 4 CMYK or RGBA"),
      field("byte_size", LongType, false, "length of image"),
      field("sha256", StringType, false, "hex SHA-256 of image"),
      field("source_path", StringType, false, "where the bytes came from (tar entries as tar!/entry)"),
      field("image_id", LongType, true, "COCO image id; null otherwise"),
      field("annotations", createArrayType(ANNOTATION, false), true, "COCO object annotations; null otherwise"),
      field("ingest_run", StringType, false, "id of the ingest run that wrote the row"),
  });

  public static final StructType CLASSES = new StructType(new StructField[] {
      field("class_index", IntegerType, false, "0-based, in sorted label order (sorted category id for COCO)"),
      field("label", StringType, false, "label as in the source: synset id, or COCO category id"),
      field("name", StringType, true, "human-readable name"),
  });

  public static final StructType QUARANTINE = new StructType(new StructField[] {
      field("record_id", LongType, false, "the sample_id the record would have had (annotation records: their own id)"),
      field("kind", StringType, false, "image or annotation"),
      field("split", StringType, true, "split, when known"),
      field("source_path", StringType, false, "file, tar!/entry, or annotations.json#annotation=ID"),
      field("reason", StringType, false, "reason code, see README"),
      field("message", StringType, false, "what exactly is wrong"),
      field("byte_size", LongType, true, "size of the rejected file, when it is a file"),
      field("ingest_run", StringType, false, "id of the ingest run that rejected it"),
  });

  public static final StructType ANNOTATIONS = prepend(ANNOTATION,
      field("sample_id", LongType, false, "the image's sample_id"),
      field("split", StringType, false, "the image's split"),
      field("image_id", LongType, false, "COCO image id"));

  public static final StructType INGEST_RUNS = new StructType(new StructField[] {
      field("run_id", StringType, false, "ingest run id"),
      field("dataset", StringType, false, null),
      field("format", StringType, false, null),
      field("source", StringType, false, null),
      field("validation", StringType, false, "full or header"),
      field("started_at", TimestampType, false, null),
      field("finished_at", TimestampType, false, null),
      field("rows_in", LongType, false, "records found in the source"),
      field("already_present", LongType, false, "records already in samples or quarantine (skipped)"),
      field("samples_written", LongType, false, null),
      field("quarantined", LongType, false, null),
      field("annotations_written", LongType, false, null),
      field("samples_snapshot_id", LongType, true, "samples snapshot after the run"),
  });

  public static final StructType TRAIN_METRICS = new StructType(new StructField[] {
      field("run", StringType, false, "train.run"),
      field("dataset", StringType, false, null),
      field("model", StringType, false, "architecture and width, e.g. resnet18x0.5"),
      field("epoch", IntegerType, false, "1-based"),
      field("train_loss", DoubleType, false, "mean training loss of the epoch"),
      field("val_loss", DoubleType, true, "mean validation loss (null without validation)"),
      field("top1", DoubleType, true, "validation top-1 accuracy"),
      field("top5", DoubleType, true, "validation top-5 accuracy"),
      field("ema_val_loss", DoubleType, true, "validation loss of the EMA model (null without EMA)"),
      field("ema_top1", DoubleType, true, "validation top-1 of the EMA model"),
      field("ema_top5", DoubleType, true, "validation top-5 of the EMA model"),
      field("learning_rate", DoubleType, false, "learning rate at the end of the epoch"),
      field("images_per_second", DoubleType, false, "training images per second"),
      field("seconds", DoubleType, false, "wall time of the epoch (training and validation)"),
      field("skipped", LongType, false, "samples that failed to decode in the epoch"),
      field("checkpoint", StringType, false, "checkpoint directory written after the epoch"),
      field("samples_snapshot_id", LongType, true, "snapshot of the samples table trained on"),
      field("finished_at", TimestampType, false, null),
      // added after the first release: nullable, so that older tables take them (Tables.addMissingColumns)
      field("steps", LongType, true, "optimiser steps taken in the epoch (per task)"),
      field("full_steps", LongType, true, "optimiser steps the epoch would have taken without SET"),
      field("set_skipped", LongType, true, "training samples SET left out of the epoch (0 without SET)"),
  });

  /** {@code cvpipe.runs.set_state}: SET's counter of every training sample after each scoring epoch of a run. */
  public static final StructType SET_STATE = new StructType(new StructField[] {
      field("run", StringType, false, "train.run"),
      field("epoch", IntegerType, false, "the 1-based epoch after which the model scored the training split"),
      field("sample_id", LongType, false, null),
      field("class_index", IntegerType, false, "the sample's label"),
      field("easy", BooleanType, false, "this scoring: predicted right with top probability >= train.set.confidence"),
      field("confidence", FloatType, true, "top softmax probability of this scoring (null: the image did not decode)"),
      field("counter", IntegerType, false, "clip(previous counter + (easy ? 1 : -1), 0, train.set.min-frequency)"),
      field("skipped", BooleanType, false, "counter = min-frequency: the sample sits out until the next scoring"),
  });

  /** One bin of a reliability diagram (15 equal-width confidence bins). */
  public static final StructType RELIABILITY_BIN = new StructType(new StructField[] {
      field("bin", IntegerType, false, "0-based; the bin holds top probabilities in (lower, upper]"),
      field("lower", DoubleType, false, null),
      field("upper", DoubleType, false, null),
      field("images", LongType, false, null),
      field("confidence", DoubleType, true, "mean top probability in the bin (null when empty)"),
      field("accuracy", DoubleType, true, "share of the bin's images predicted right (null when empty)"),
  });

  /** One evaluation: a model on a split of a dataset snapshot. */
  public static final StructType EVAL_METRICS = new StructType(new StructField[] {
      field("eval_id", StringType, false, "unique per evaluation; joins eval_class_metrics"),
      field("run", StringType, false, "eval.run: the evaluation's name, also its report directory"),
      field("model", StringType, false, "the SavedModel directory evaluated"),
      field("training_run", StringType, true, "the cvpipe training run that exported the model (null if foreign)"),
      field("architecture", StringType, true, "e.g. resnet18x0.25 (null if foreign)"),
      field("dataset", StringType, false, null),
      field("split", StringType, false, null),
      field("samples_snapshot_id", LongType, false, "snapshot of the samples table evaluated"),
      field("images", LongType, false, "images scored"),
      field("undecodable", LongType, false, "rows of the split that could not be decoded (not scored)"),
      field("top1", DoubleType, false, null),
      field("top5", DoubleType, false, null),
      field("nll", DoubleType, false, "mean negative log-likelihood of the true class"),
      field("ece", DoubleType, false, "expected calibration error, 15 equal-width bins"),
      field("reliability", createArrayType(RELIABILITY_BIN, false), false, "the bins behind ece"),
      field("seconds", DoubleType, false, "wall time of the scoring job"),
      field("images_per_second", DoubleType, false, null),
      field("evaluated_at", TimestampType, false, null),
  });

  /** Per class of one evaluation, with its row of the confusion matrix. */
  public static final StructType EVAL_CLASS_METRICS = new StructType(new StructField[] {
      field("eval_id", StringType, false, null),
      field("run", StringType, false, null),
      field("dataset", StringType, false, null),
      field("split", StringType, false, null),
      field("class_index", IntegerType, false, null),
      field("label", StringType, false, null),
      field("name", StringType, true, "human-readable name, from the classes table"),
      field("images", LongType, false, "images of this true class"),
      field("correct", LongType, false, "of them predicted right"),
      field("accuracy", DoubleType, true, "correct / images (null without images)"),
      field("predicted", createArrayType(LongType, false), false, "confusion row: images of this class by predicted class_index"),
      field("evaluated_at", TimestampType, false, null),
  });

  /**
   * {@code cvpipe.<dataset>.reinforced}: one row per (sample, stored augmentation), everything needed to replay
   * the augmentation's pixels and the teacher ensemble's top-k answer for them. Boxes and lambdas are
   * fractions on a 1/1024 grid, probabilities on a 1/8192 grid (exact, and compact in Parquet).
   */
  public static final StructType REINFORCED = new StructType(new StructField[] {
      field("sample_id", LongType, false, "the sample in cvpipe.<dataset>.samples"),
      field("split", StringType, false, "its split"),
      field("augmentation", IntegerType, false, "index of this augmentation among the sample's N (0-based)"),
      field("class_index", IntegerType, true, "the sample's label (for the plain-image share of training)"),
      field("crop", createArrayType(IntegerType, false), false,
          "RandomResizedCrop box in source pixels: [top, left, height, width]"),
      field("flip", BooleanType, false, "mirrored after the crop"),
      field("ops", createArrayType(StringType, false), false, "RandAugment ops in order, e.g. rotate-9, solarize+9"),
      field("erase", createArrayType(FloatType, false), true,
          "RandomErasing box as fractions of the output [top, left, height, width]; null for none"),
      field("mix", StringType, true, "mixup, cutmix or mixup+cutmix (MixUp first); null for none"),
      field("mix_lambda", FloatType, true, "MixUp: this sample's weight; null without MixUp"),
      field("mix_box", createArrayType(FloatType, false), true, "CutMix: the partner's pasted box, as fractions"),
      field("partner_id", LongType, true, "the mixing partner's sample_id (same split and shard)"),
      field("partner_crop", createArrayType(IntegerType, false), true, "the partner's own crop box"),
      field("partner_flip", BooleanType, true, "the partner's own flip"),
      field("partner_ops", createArrayType(StringType, false), true, "the partner's own RandAugment ops"),
      field("partner_erase", createArrayType(FloatType, false), true, "the partner's own RandomErasing box; null for none"),
      field("teacher_classes", createArrayType(IntegerType, false), false, "top-k class indices, most probable first"),
      field("teacher_probs", createArrayType(FloatType, false), false,
          "their probabilities under the teacher ensemble (mean softmax)"),
      field("version", StringType, false, "the reinforcement settings' fingerprint (table property cvpipe.reinforce.version)"),
  });

  /** {@code cvpipe.runs.stages}: one row per stage execution of {@code cvpipe run}. */
  public static final StructType STAGES = new StructType(new StructField[] {
      field("run_id", StringType, false, "the pipeline run: its name, start time and a random suffix"),
      field("pipeline", StringType, false, "run.name"),
      field("stage_index", IntegerType, false, "1-based position in run.stages"),
      field("stage", StringType, false, "ingest, train, reinforce or eval"),
      field("settings_hash", StringType, false, "SHA-256 (16 hex) of the stage's resolved settings"),
      field("inputs", StringType, true, "what it read: tables as name@snapshot, models as path#model.json fingerprint"),
      field("outputs", StringType, true, "what it wrote, the same way"),
      field("status", StringType, false, "succeeded, failed or skipped (inputs and settings unchanged)"),
      field("message", StringType, true, "the stage's summary, or why it failed or was skipped"),
      field("started_at", TimestampType, false, null),
      field("finished_at", TimestampType, false, null),
      field("figures", createMapType(StringType, DoubleType), true,
          "the stage's figures: rows_written, rows_quarantined, epochs, top1, nll, ece, images_per_second, ..."),
  });

  private static StructField field(String name, org.apache.spark.sql.types.DataType type, boolean nullable, String comment) {
    StructField f = new StructField(name, type, nullable, Metadata.empty());
    return comment == null ? f : f.withComment(comment);
  }

  private static StructType prepend(StructType base, StructField... first) {
    StructType out = new StructType(first);
    for (StructField f : base.fields()) {
      out = out.add(f);
    }
    return out;
  }
}
