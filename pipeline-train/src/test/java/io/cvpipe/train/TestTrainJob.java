package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.augment.RandomErasing;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training from a samples table (written here as ingest would write it: stages meet only in tables), in a
 * Spark barrier task, on generated shapes. Plumbing, not an accuracy claim.
 */
class TestTrainJob {

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void writeSamples() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("train", 320, "val", 80), 40, 8);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainSettings settings(String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "train.run=tiny", "train.model=resnet18",
        "train.width=0.125", "train.stem-stride=1", "train.stem-pool=false", "train.epochs=12",
        "train.sampler.kind=msc-vbs", "train.sampler.crop-size=32", "train.sampler.batch-size=16",
        "train.sampler.min-crop-size=24", "train.sampler.max-crop-size=40", "train.sampler.scales=3",
        "train.sampler.divisor=8", "train.lr.max=0.1", "train.lr.min=0.001", "train.lr.warmup-init=0.01",
        "train.lr.warmup-iterations=20", "train.optimizer.weight-decay=5e-4", "train.device=cpu",
        "train.models-dir=" + tmp.resolve("models"), "train.log-every=10", "train.ema-momentum=0.02"));
    sets.addAll(List.of(extra));
    return TrainSettings.from(Settings.load(null, sets));
  }

  @Test
  void trainsInABarrierTaskAndRecordsEveryEpoch() throws Exception {
    List<EpochMetrics> metrics = new TrainJob(spark, settings(), 1).run();

    List<Row> rows = spark.sql("SELECT epoch, train_loss, top1, top5, checkpoint, ema_top1 FROM cvpipe.runs.train_metrics "
        + "WHERE run = 'tiny' ORDER BY epoch").collectAsList();
    long appends = spark.sql("SELECT count(*) FROM cvpipe.runs.train_metrics.snapshots "
        + "WHERE summary['cvpipe.run-id'] = 'tiny'").first().getLong(0);
    assertThat(appends).as("epochs written while the task trained on, not all at the end").isGreaterThan(1);
    System.out.println("tiny run: " + metrics);
    assertThat(rows).extracting(r -> r.getInt(0)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    assertThat(rows.get(11).getDouble(1)).isLessThan(rows.get(0).getDouble(1));
    assertThat(rows.get(11).getDouble(2)).as("validation top-1, chance 0.25").isGreaterThan(0.5);
    assertThat(rows.get(11).getDouble(3)).isEqualTo(1.0); // 4 classes: top-5 is everything
    assertThat(rows.get(11).getDouble(5)).as("EMA model's top-1, validated separately").isGreaterThan(0.4);
    Map<?, ?> ema = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
        tmp.resolve("models/tiny/ema/model.json").toFile(), Map.class);
    assertThat(String.valueOf(ema.get("weights"))).startsWith("exponential moving average");
    assertThat(((Number) ema.get("top1")).doubleValue()).isEqualTo(rows.get(11).getDouble(5));
    assertThat(Files.exists(Path.of(rows.get(11).getString(4), "variables.index"))).isTrue();
    Path best = tmp.resolve("models/tiny/best");
    assertThat(best.resolve("saved_model.pb")).exists();
    assertThat(tmp.resolve("models/tiny/final/saved_model.pb")).exists();
    Map<?, ?> description = new com.fasterxml.jackson.databind.ObjectMapper().readValue(best.resolve("model.json").toFile(), Map.class);
    assertThat(((List<?>) description.get("classes")).stream().map(String::valueOf).toList()).containsExactly(
        SyntheticImages.label(0), SyntheticImages.label(1), SyntheticImages.label(2), SyntheticImages.label(3));
    assertThat(((Map<?, ?>) description.get("input")).get("height")).isEqualTo(32);
    assertThat(((Map<?, ?>) description.get("normalisation")).get("crop-fraction")).as("the validation view")
        .isEqualTo(RandomResizedCrop.CROP_FRACTION);
    assertThat(description.get("sampler")).as("the training crops")
        .isEqualTo(Map.of("kind", "msc-vbs", "crop-sizes", List.of(24, 32, 40)));
    assertThat(description.get("stem")).isEqualTo(Map.of("stride", 1, "max-pool", false));
    assertThat(description.get("output-stride")).as("the architecture's own").isEqualTo(0);
    if (!System.getenv().containsKey("TF_ENABLE_ONEDNN_OPTS")) {
      assertThat(description.get("trained-kernels")).as("a CNN keeps TensorFlow's default").isEqualTo("onednn");
    }
    long withWeights = rows.stream().filter(r -> Files.exists(Path.of(r.getString(4), "variables.index"))).count();
    assertThat(withWeights).as("latest + 3 best keep their weights").isBetween(3L, 4L);
    assertThat(rows).allMatch(r -> Files.exists(Path.of(r.getString(4), "epoch.properties")));
    double bestTop1 = rows.stream().mapToDouble(r -> r.getDouble(2)).max().orElseThrow();
    assertThat(((Number) description.get("top1")).doubleValue()).isEqualTo(bestTop1);
  }

  @Test
  void aTransformerTrainsOnEigensKernelsInAProcessOfItsOwnWhenTold() throws Exception {
    // train.onednn=off: TF_ENABLE_ONEDNN_OPTS=0, read once when TensorFlow loads, so even one task trains in a
    // process of its own
    org.junit.jupiter.api.Assumptions.assumeFalse("0".equals(System.getenv("TF_ENABLE_ONEDNN_OPTS")),
        "the environment already turns oneDNN off");
    List<EpochMetrics> metrics = new TrainJob(spark, settings("train.run=tiny-vit", "train.model=mobilevitv2",
        "train.width=0.25", "train.epochs=1", "train.optimizer.kind=adamw", "train.lr.max=0.002",
        "train.onednn=off")).run();
    assertThat(metrics).hasSize(1);
    Map<?, ?> description = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
        tmp.resolve("models/tiny-vit/final/model.json").toFile(), Map.class);
    assertThat(description.get("trained-kernels")).isEqualTo("eigen");
    assertThat(description.get("model")).isEqualTo("mobilevitv2");
  }

  @Test
  void badSettingsAndMissingDataSayWhatToFix() {
    assertThatThrownBy(() -> settings("train.model=resnet19"))
        .hasMessageContaining("train.model: unknown value 'resnet19'. Expected one of: resnet18, resnet50, resnet101, mobilenetv1, mobilenetv2");
    assertThatThrownBy(() -> settings("train.lr.min=1", "train.lr.max=0.1"))
        .hasMessageContaining("train.lr.min: 1.0 is above train.lr.max = 0.1");
    assertThatThrownBy(() -> settings("train.sampler.kind=vbs"))
        .hasMessageContaining("train.sampler.kind: unknown value 'vbs'. Expected one of: ssc-fbs, msc-fbs, msc-vbs");
    assertThatThrownBy(() -> settings("train.channels=2")).hasMessageContaining("train.channels: 2 is not supported");
    assertThatThrownBy(() -> settings("train.ema-momentum=1")).hasMessageContaining("train.ema-momentum: 1.0 must be below 1");
    assertThatThrownBy(() -> settings("train.precision=float16"))
        .hasMessageContaining("train.precision: unknown value 'float16'. Expected one of: float32, bfloat16");
    assertThatThrownBy(() -> settings("train.precision=bfloat16", "train.device=gpu"))
        .hasMessageContaining("train.precision: bfloat16 is oneDNN's CPU rewrite and does not run with train.device = gpu");
    assertThatThrownBy(() -> settings("train.val-crop-fraction=0"))
        .hasMessageContaining("train.val-crop-fraction: 0.0 is out of range. Allowed: above 0, at most 1");
    assertThatThrownBy(() -> settings("train.augment.min-scale=whole"))
        .hasMessageContaining("train.augment.min-scale: expected a number above 0 and at most 1, got 'whole'");
    assertThat(settings("train.val-crop-fraction=1").valCropFraction()).isEqualTo(1.0);
    assertThatThrownBy(() -> settings("train.augment.random-erasing=1.5"))
        .hasMessageContaining("train.augment.random-erasing: 1.5 must be at most 1");
    assertThat(settings().erasing()).isEqualTo(RandomErasing.NONE);
    assertThat(settings("train.augment.random-erasing=0.5").erasing().probability()).isEqualTo(0.5);
    assertThatThrownBy(() -> settings("train.output-stride=6"))
        .isInstanceOf(io.cvpipe.common.CvpipeException.class)
        .hasMessageContaining("train.output-stride: 6 must be 0 (the architecture's own) or a power of 2")
        .matches(e -> ((io.cvpipe.common.CvpipeException) e).exitCode() == 2, "a configuration error: exit 2");
    assertThatThrownBy(() -> settings("train.output-stride=2", "train.stem-stride=2", "train.stem-pool=true"))
        .hasMessageContaining("no smaller than the stem's stride 4");
    assertThat(settings("train.output-stride=8").modelSpec(3).outputStride()).isEqualTo(8);
    assertThatThrownBy(() -> settings("train.patch-size=4"))
        .hasMessageContaining("train.patch-size: applies to vision transformers (deit-tiny), not to train.model = resnet18");
    assertThatThrownBy(() -> settings("train.model=deit-tiny", "train.depth=6", "train.token-pooling.after=[2, 6]"))
        .hasMessageContaining("train.token-pooling.after: block 6 is not between 1 and 5 (the model has 6 blocks");
    assertThatThrownBy(() -> settings("train.model=deit-tiny", "train.token-pooling.after=[3]", "train.token-pooling.keep=0"))
        .hasMessageContaining("train.token-pooling.keep: 0.0 must be above 0 and at most 1");
    assertThatThrownBy(() -> settings("train.model=deit-tiny", "train.token-pooling.after=[three]"))
        .hasMessageContaining("train.token-pooling.after: 'three' is not a block number");
    assertThat(settings("train.model=deit-tiny", "train.patch-size=4", "train.token-pooling.after=[3, 6]",
        "train.token-pooling.keep=0.7").modelSpec(10).transformer())
        .isEqualTo(new io.cvpipe.engine.ModelSpec.Transformer(4, 0,
            new io.cvpipe.engine.ModelSpec.TokenPooling(java.util.List.of(3, 6), 0.7)));
    assertThatThrownBy(() -> settings("train.dropout=0.1"))
        .hasMessageContaining("train.dropout: applies to the transformers (mobilevit-*, mobilevitv2, deit-tiny), not to train.model = resnet18");
    assertThatThrownBy(() -> settings("train.model=deit-tiny", "train.drop-path=1"))
        .hasMessageContaining("train.drop-path: 1.0 must be below 1");
    assertThat(settings("train.model=mobilevit-xs", "train.dropout=0.1").modelSpec(10).transformer().dropout())
        .isEqualTo(0.1);
    // oneDNN for the training process: auto leaves TensorFlow's choice (on x86, on), for the transformers too
    assertThat(settings("train.model=mobilevit-xxs").oneDnnVariable(Map.of())).isNull();
    assertThat(settings("train.model=deit-tiny").oneDnnVariable(Map.of("TF_ENABLE_ONEDNN_OPTS", "0"))).isNull();
    assertThat(settings("train.model=resnet18").oneDnnVariable(Map.of())).as("TensorFlow's default").isNull();
    assertThat(settings("train.model=mobilevitv2", "train.onednn=on").oneDnnVariable(Map.of()))
        .as("on is TensorFlow's default: no process of its own").isNull();
    assertThat(settings("train.model=mobilevitv2", "train.onednn=on").oneDnnVariable(Map.of("TF_ENABLE_ONEDNN_OPTS", "false")))
        .isEqualTo("1");
    assertThat(settings("train.onednn=off").oneDnnVariable(Map.of("TF_ENABLE_ONEDNN_OPTS", "1"))).isEqualTo("0");
    assertThat(settings("train.onednn=off").oneDnnVariable(Map.of())).isEqualTo("0");
    assertThat(settings("train.onednn=off").oneDnnVariable(Map.of("TF_ENABLE_ONEDNN_OPTS", " 0"))).isNull();
    assertThatThrownBy(() -> settings("train.onednn=off", "train.precision=bfloat16"))
        .hasMessageContaining("train.onednn: train.onednn=off turns oneDNN off, and bfloat16 is oneDNN's rewrite");
    if (!System.getenv().containsKey("TF_ENABLE_ONEDNN_OPTS")) { // auto, and TensorFlow's default
      assertThatThrownBy(() -> settings("train.model=mobilevitv2", "train.precision=bfloat16"))
          .hasMessageContaining("train.precision: bfloat16 runs every convolution gradient on oneDNN's kernels, and "
              + "TensorFlow 2.18's input gradient is wrong for some of mobilevitv2's shapes");
    }
    assertThat(settings("train.model=mobilevitv2", "train.precision=bfloat16", "train.onednn=on").precision())
        .isEqualTo(io.cvpipe.engine.Precision.BFLOAT16);
    assertThatThrownBy(() -> settings("train.optimizer.gradient-clip=-1"))
        .hasMessageContaining("train.optimizer.gradient-clip: -1.0 must be 0 or more");
    assertThatThrownBy(() -> new TrainJob(spark, settings("train.split=training")).run())
        .hasMessageContaining("train.split: 'training' has no rows in cvpipe.shapes.samples")
        .hasMessageContaining("train").hasMessageContaining("val");
    assertThatThrownBy(() -> new TrainJob(spark, settings("dataset=nothing")).run())
        .hasMessageContaining("cvpipe.nothing.samples does not exist: ingest the dataset first");
  }
}
