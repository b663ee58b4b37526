package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.train.set.SetSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CVNets' Sample Efficient Training on generated shapes: the counters' arithmetic, samples sitting out and coming
 * back, a killed SET run resumed to the same result, an all-easy split, and bad settings. Plumbing, not an
 * accuracy claim (ci/study-set measures that on Fashion-MNIST).
 */
class TestSampleEfficientTraining {

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void writeSamples() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("train", 160, "val", 40), 32, 8);
    // a split of one class out of four: after two epochs the model answers that class for everything
    ShapesTable.write(spark, "mono", Map.of(), 32, 9);
    Random rnd = new Random(3);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      String split = i < 40 ? "train" : "val";
      byte[] jpeg = SyntheticImages.jpeg(SyntheticImages.shape(0, 32, 32, rnd), 0.9f);
      rows.add(ShapesTable.row(split, 0, split + "/" + SyntheticImages.label(0) + "/" + i + ".JPEG", jpeg, 32));
    }
    Tables.append(spark, spark.createDataFrame(rows, Schemas.SAMPLES), Tables.samples("mono"), Schemas.SAMPLES, "test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static TrainSettings settings(String run, String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "train.run=" + run, "train.model=resnet18",
        "train.width=0.125", "train.stem-stride=1", "train.stem-pool=false", "train.epochs=4",
        "train.sampler.kind=ssc-fbs", "train.sampler.crop-size=32", "train.sampler.batch-size=16",
        "train.lr.max=0.1", "train.lr.min=0.001", "train.lr.warmup-init=0.01", "train.lr.warmup-iterations=10",
        "train.augment.min-scale=0.5", "train.device=cpu", "train.models-dir=" + tmp.resolve("models"),
        "train.log-every=100", "train.ema-momentum=0", "train.set.enabled=true", "train.set.interval=1",
        "train.set.min-frequency=1", "train.set.confidence=0.4"));
    sets.addAll(List.of(extra));
    return TrainSettings.from(Settings.load(null, sets));
  }

  private static final StructType FLAGS = new StructType().add("sample_id", DataTypes.LongType, false)
      .add("class_index", DataTypes.IntegerType, false).add("easy", DataTypes.BooleanType, false)
      .add("confidence", DataTypes.FloatType, true);

  private static Dataset<Row> flags(boolean... easy) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < easy.length; i++) {
      rows.add(RowFactory.create((long) i, i % 2, easy[i], easy[i] ? 0.9f : 0.2f));
    }
    return spark.createDataFrame(rows, FLAGS);
  }

  private static String counters(Dataset<Row> state) {
    return state.orderBy("sample_id").collectAsList().stream()
        .map(r -> r.getInt(r.fieldIndex("counter")) + (r.getBoolean(r.fieldIndex("skipped")) ? "s" : ""))
        .collect(Collectors.joining(" "));
  }

  @Test
  void countersMoveByOneWithinZeroAndMinFrequencyAndSkippedSamplesComeBackWhenTheyTurnHard() {
    SetSettings set = new SetSettings(true, 5, 0.5, 2);
    // samples 0..3: easy-easy-hard, hard-easy-easy, easy x3, hard x3
    Dataset<Row> first = SetScoring.state(flags(true, false, true, false), null, "r", 5, set);
    Dataset<Row> second = SetScoring.state(flags(true, true, true, false), first, "r", 10, set);
    Dataset<Row> third = SetScoring.state(flags(false, true, true, false), second, "r", 15, set);

    assertThat(counters(first)).isEqualTo("1 0 1 0");
    assertThat(counters(second)).isEqualTo("2s 1 2s 0");
    assertThat(counters(third)).as("0 turned hard and comes back; 2 stays at the top").isEqualTo("1 2s 2s 0");
    assertThat(third.select("run", "epoch").distinct().collectAsList()).containsExactly(RowFactory.create("r", 15));
    assertThat(set.next(2, true)).isEqualTo(2);
    assertThat(set.next(0, false)).isZero();
    assertThat(set.segmentEnd(0, 12)).isEqualTo(5);
    assertThat(set.segmentEnd(7, 12)).isEqualTo(10);
    assertThat(set.segmentEnd(10, 12)).isEqualTo(12);
    assertThat(set.scoresAfter(10, 12)).isTrue();
    assertThat(set.scoresAfter(10, 10)).as("nothing left to train after the last epoch").isFalse();
  }

  @Test
  void aKilledSetRunResumesToTheSameCountersAndWeightsAndEasySamplesSitOut() throws Exception {
    List<EpochMetrics> whole = new TrainJob(spark, settings("set-whole"), 1).run();
    // the first attempt fails in epoch 2, after the first scoring
    assertThatThrownBy(() -> new TrainJob(spark, settings("set-killed", "train.test-hook.crash-rank=0",
        "train.test-hook.crash-step=12"), 1).run()).hasMessageContaining("fails on purpose");
    List<EpochMetrics> resumed = new TrainJob(spark, settings("set-killed", "train.resume=true"), 1).run();

    assertThat(resumed).hasSize(4);
    for (int e = 0; e < 4; e++) {
      assertThat(resumed.get(e).trainLoss()).as("epoch %d", e + 1).isEqualTo(whole.get(e).trainLoss());
      assertThat(resumed.get(e).valLoss()).as("epoch %d", e + 1).isEqualTo(whole.get(e).valLoss());
      assertThat(resumed.get(e).steps()).isEqualTo(whole.get(e).steps());
    }
    String state = "SELECT epoch, sample_id, counter, skipped, easy FROM cvpipe.runs.set_state WHERE run = '%s' "
        + "ORDER BY epoch, sample_id";
    List<Row> a = spark.sql(String.format(state, "set-whole")).collectAsList();
    List<Row> b = spark.sql(String.format(state, "set-killed")).collectAsList();
    assertThat(a).hasSize(3 * 160).isEqualTo(b);
    long scorings = spark.sql("SELECT count(*) FROM cvpipe.runs.set_state.snapshots "
        + "WHERE summary['cvpipe.run-id'] = 'set-killed'").first().getLong(0);
    assertThat(scorings).as("the scoring committed before the kill was not redone").isEqualTo(3);

    // each counter is the previous one moved by this scoring's flag, and the epoch after trains without the
    // skipped samples: fewer steps than the full epoch
    List<Row> moves = spark.sql("SELECT n.counter, coalesce(p.counter, 0), n.easy, n.skipped FROM cvpipe.runs.set_state n "
        + "LEFT JOIN cvpipe.runs.set_state p ON p.run = n.run AND p.sample_id = n.sample_id AND p.epoch = n.epoch - 1 "
        + "WHERE n.run = 'set-whole'").collectAsList();
    assertThat(moves).allSatisfy(r -> {
      assertThat(r.getInt(0)).isEqualTo(Math.max(0, Math.min(1, r.getInt(1) + (r.getBoolean(2) ? 1 : -1))));
      assertThat(r.getBoolean(3)).isEqualTo(r.getInt(0) == 1);
    });
    List<Row> metrics = spark.sql("SELECT m.epoch, m.steps, m.full_steps, m.set_skipped, "
        + "(SELECT count_if(skipped) FROM cvpipe.runs.set_state s WHERE s.run = m.run AND s.epoch = m.epoch - 1) "
        + "FROM cvpipe.runs.train_metrics m WHERE m.run = 'set-whole' ORDER BY m.epoch").collectAsList();
    System.out.println("SET run: " + metrics);
    assertThat(metrics.get(0).getLong(1)).isEqualTo(10).isEqualTo(metrics.get(0).getLong(2));
    assertThat(metrics.get(0).getLong(3)).isZero();
    long saved = 0;
    for (Row m : metrics.subList(1, 4)) {
      long skipped = m.getLong(3);
      assertThat(skipped).as("epoch %d", m.getInt(0)).isEqualTo(m.getLong(4));
      assertThat(m.getLong(1)).as("steps of epoch %d", m.getInt(0)).isEqualTo((160 - skipped + 15) / 16);
      assertThat(m.getLong(2)).isEqualTo(10);
      saved += m.getLong(2) - m.getLong(1);
    }
    assertThat(saved).as("by epoch 3 a tiny ResNet gets some shapes right with confidence").isPositive();

    // the notebook's queries (bin/cvpipe sql -f notebooks/set-state.sql substitutes the same way)
    String notebook = java.nio.file.Files.readString(Path.of("..", "notebooks", "set-state.sql"))
        .replace("${dataset}", "shapes").replace("${train.run}", "set-whole");
    List<List<Row>> results = new ArrayList<>();
    for (String statement : notebook.split(";\\s*\\n")) {
      results.add(spark.sql(statement).collectAsList());
    }
    assertThat(results).hasSize(3);
    assertThat(results.get(0)).as("3 scorings x 4 classes").hasSize(12)
        .allSatisfy(r -> assertThat(r.getLong(r.fieldIndex("samples"))).isEqualTo(40));
    long cameBack = spark.sql("SELECT count(*) FROM cvpipe.runs.set_state n JOIN cvpipe.runs.set_state p "
        + "ON p.run = n.run AND p.sample_id = n.sample_id AND p.epoch = n.epoch - 1 "
        + "WHERE n.run = 'set-whole' AND p.skipped AND NOT n.skipped").first().getLong(0);
    assertThat(results.get(1).stream().mapToLong(r -> r.getLong(1)).sum()).isEqualTo(cameBack);
    assertThat(results.get(2)).extracting(r -> r.getLong(r.fieldIndex("steps"))).containsExactlyElementsOf(
        metrics.stream().map(r -> r.getLong(1)).toList());
  }

  @Test
  void anAllEasySplitStillTrainsOneBatchAnEpoch() {
    // with MSc-VBS: the sampler over the samples left is whichever the run uses
    List<EpochMetrics> metrics = new TrainJob(spark, settings("mono", "dataset=mono", "train.set.interval=2",
        "train.set.confidence=0.3", "train.sampler.kind=msc-vbs", "train.sampler.min-crop-size=24",
        "train.sampler.max-crop-size=40", "train.sampler.scales=3", "train.sampler.divisor=8"), 1).run();

    List<Row> state = spark.sql("SELECT epoch, count(*), count_if(skipped) FROM cvpipe.runs.set_state WHERE run = 'mono' "
        + "GROUP BY epoch").collectAsList();
    assertThat(state).containsExactly(RowFactory.create(2, 40L, 40L));
    assertThat(metrics).extracting(EpochMetrics::steps).startsWith(metrics.get(0).fullSteps(), metrics.get(1).fullSteps())
        .endsWith(1L, 1L);
    assertThat(metrics.get(2).fullSteps()).as("the epoch without SET").isGreaterThan(1);
    assertThat(metrics).extracting(EpochMetrics::setSkipped).containsExactly(0L, 0L, 40L, 40L);
  }

  @Test
  void badSetSettingsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> settings("x", "train.set.confidence=0"))
        .hasMessageContaining("train.set.confidence: 0.0 is out of range. Allowed: above 0, at most 1");
    assertThatThrownBy(() -> settings("x", "train.set.confidence=1.5"))
        .hasMessageContaining("train.set.confidence: 1.5 is out of range");
    assertThatThrownBy(() -> settings("x", "train.set.interval=0"))
        .hasMessageContaining("train.set.interval: 0 is out of range. Allowed: 1 to");
    assertThatThrownBy(() -> settings("x", "train.set.min-frequency=-1"))
        .hasMessageContaining("train.set.min-frequency: -1 is out of range");
    assertThat(settings("x", "train.set.confidence=1").set().confidence()).isEqualTo(1.0);
  }
}
