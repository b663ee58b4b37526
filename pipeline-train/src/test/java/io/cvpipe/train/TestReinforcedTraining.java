package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.common.reinforce.TeacherTopK;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.Predictor;
import io.cvpipe.reinforce.ReinforceJob;
import io.cvpipe.reinforce.ReinforceSettings;
import io.cvpipe.reinforce.testing.Teachers;
import io.cvpipe.train.input.BatchLoader;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.input.Reinforcement;
import io.cvpipe.train.input.StoredAugmentations;
import io.cvpipe.train.input.View;
import io.cvpipe.train.sampler.BatchPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training from a reinforced table made by the real reinforce job (stages meet only in tables): the replay
 * gives the pixels the teachers saw, and a student trained with KL to a cvpipe-trained teacher learns.
 */
class TestReinforcedTraining {

  private static final int SIZE = 32;

  @TempDir
  static Path tmp;
  private static SparkSession spark;

  @BeforeAll
  static void writeSamples() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    ShapesTable.write(spark, "shapes", Map.of("train", 160, "val", 40), SIZE, 12);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static ReinforceSettings reinforce(String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "reinforce.models-dir=" + tmp.resolve("models"),
        "reinforce.batch-size=32", "reinforce.shard-size=40", "reinforce.top-k=3"));
    sets.addAll(List.of(extra));
    return ReinforceSettings.from(Settings.load(null, sets));
  }

  private static TrainSettings train(String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=shapes", "train.model=resnet18", "train.width=0.125",
        "train.stem-stride=1", "train.stem-pool=false", "train.epochs=8", "train.sampler.kind=ssc-fbs",
        "train.sampler.crop-size=32", "train.sampler.batch-size=16", "train.lr.max=0.1", "train.lr.min=0.001",
        "train.lr.warmup-init=0.01", "train.lr.warmup-iterations=10", "train.device=cpu",
        "train.models-dir=" + tmp.resolve("models"), "train.log-every=100", "train.ema-momentum=0"));
    sets.addAll(List.of(extra));
    return TrainSettings.from(Settings.load(null, sets));
  }

  @Test
  void replayingAStoredAugmentationGivesThePixelsTheTeacherSaw() {
    List<String> labels = List.of(SyntheticImages.label(0), SyntheticImages.label(1), SyntheticImages.label(2),
        SyntheticImages.label(3));
    Path teacher = Teachers.untrained(tmp.resolve("models/random/best"), "cnn2", labels, SIZE, 5);
    ReinforceJob.Result made = new ReinforceJob(spark, reinforce("reinforce.teachers=[random]",
        "reinforce.augmentations=1", "reinforce.top-k=4", "reinforce.policy=rrc-ra-re-mix")).run();

    Table samples = Tables.iceberg(spark, Tables.samples("shapes"));
    InMemorySamples train = TableFiles.load(files(samples, "train"), samples.schema().select(TableFiles.COLUMNS),
        spark.sparkContext().hadoopConfiguration());
    Table reinforced = Tables.iceberg(spark, Tables.reinforced("shapes"));
    StoredAugmentations stored = TableFiles.loadReinforced(files(reinforced, "train"), reinforced.schema(),
        made.version(), 0, spark.sparkContext().hadoopConfiguration());
    assertThat(stored.samples()).isEqualTo(160);
    assertThat(stored.rows()).isEqualTo(160);
    // on two tasks a rank holds half the images, and about half the partners of its mixed views are in the other
    // half: it loads those each epoch, and no sample is left out
    List<EpochMetrics> ranks = new TrainJob(spark, train("train.run=mixed-on-2", "train.data=reinforced",
        "train.epochs=2", "train.tasks=2", "train.collective-timeout=180s"), 1).run();
    assertThat(ranks).hasSize(2);
    for (EpochMetrics m : ranks) {
      assertThat(m.skipped()).as("samples left out in epoch " + m.epoch()).isZero();
      assertThat(m.steps()).as("steps of epoch " + m.epoch() + ": 80 samples a task, batch 16").isEqualTo(5);
    }

    // the training loader replays each sample's one stored augmentation, at the teacher's size and normalisation
    int replayed = 0;
    int same = 0;
    int sameWhenMirrored = 0;
    StoredAugmentations.Builder mirrored = StoredAugmentations.builder();
    for (int i = 0; i < train.size(); i++) {
      mirrored.add(mirror(stored.get(train.sampleId(i), 0)));
    }
    try (Predictor predictor = Engines.savedModel(teacher)) {
      for (StoredAugmentations table : List.of(stored, mirrored.build())) {
        for (LoadedBatch batch : batches(train, new Reinforcement(table, 1.0))) {
          float[] logits = predictor.predict(batch.images());
          float[] probs = new float[logits.length];
          for (int i = 0; i < batch.images().count(); i++) {
            TeacherTopK.addSoftmax(logits, i * 4, 4, 1f, probs, i * 4);
            TeacherTopK answer = TeacherTopK.of(probs, i * 4, 4, 4);
            TeacherTopK saved = stored.get(batch.sampleIds()[i], 0).teacher();
            boolean equal = java.util.Arrays.equals(answer.classes(), saved.classes())
                && close(answer.probabilities(), saved.probabilities());
            if (table == stored) {
              replayed++;
              same += equal ? 1 : 0;
              // and the loader's target is the stored answer, expanded
              float sum = 0;
              for (int c = 0; c < 4; c++) {
                sum += batch.targets()[i * 4 + c];
              }
              assertThat(sum).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
              assertThat(batch.targets()[i * 4 + saved.classes()[0]]).isEqualTo(
                  saved.probabilities()[0] / sum(saved.probabilities()), org.assertj.core.api.Assertions.within(1e-6f));
            } else {
              sameWhenMirrored += equal ? 1 : 0;
            }
          }
        }
      }
    }
    assertThat(replayed).isEqualTo(160);
    assertThat(same).as("replays whose teacher answer equals the stored one").isEqualTo(160);
    assertThat(sameWhenMirrored).as("the check can fail: a replay mirrored the other way").isLessThan(40);
  }

  private static float sum(float[] values) {
    float s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }

  /** Equal on the probability grid, give or take one step (TensorFlow may add in another order per batch size). */
  private static boolean close(float[] a, float[] b) {
    for (int i = 0; i < a.length; i++) {
      if (Math.abs(a[i] - b[i]) > 1.01f / TeacherTopK.GRID) {
        return false;
      }
    }
    return true;
  }

  private static StoredAugmentation mirror(StoredAugmentation s) {
    Augmentation a = s.augmentation();
    CropBox c = a.crop();
    return new StoredAugmentation(s.sampleId(), s.index(), s.classIndex(), new Augmentation(
        new CropBox(c.top(), c.left(), c.height(), c.width(), !c.flip()), a.ops(), a.erasing(), a.mixing()), s.teacher());
  }

  private static List<LoadedBatch> batches(InMemorySamples train, Reinforcement reinforcement) {
    List<BatchPlan> plans = new ArrayList<>();
    for (int i = 0; i < train.size(); i += 48) {
      int[] indices = new int[Math.min(48, train.size() - i)];
      for (int j = 0; j < indices.length; j++) {
        indices[j] = i + j;
      }
      plans.add(new BatchPlan(SIZE, SIZE, indices));
    }
    List<LoadedBatch> out = new ArrayList<>();
    try (BatchLoader loader = BatchLoader.builder(plans, train).view(View.TRAIN)
        .normalisation(Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD).seed(0, 0).threads(2, 2).warnings(message -> {
          throw new AssertionError(message);
        }).reinforcement(reinforcement, 4).build()) {
      loader.forEachRemaining(out::add);
    }
    return out;
  }

  private static List<String> files(Table table, String split) {
    List<String> files = new ArrayList<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan()
        .filter(org.apache.iceberg.expressions.Expressions.equal("split", split)).planFiles()) {
      tasks.forEach(t -> files.add(t.file().location()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return files;
  }

  @Test
  void aStudentLearnsFromACvpipeTrainedTeacherThroughTheTable() {
    new TrainJob(spark, train("train.run=teacher", "train.width=0.25", "train.epochs=10", "train.lr.max=0.05"), 1).run();
    ReinforceJob.Result made = new ReinforceJob(spark, reinforce("reinforce.teachers=[teacher]",
        "reinforce.augmentations=4", "reinforce.augment.min-scale=0.35")).run();
    assertThat(made.reinforced()).isEqualTo(160);

    List<EpochMetrics> student = new TrainJob(spark, train("train.run=student", "train.data=reinforced",
        "train.lr.max=0.05", "train.epochs=10"), 1).run();
    assertThat(student).hasSize(10);
    for (EpochMetrics m : student) {
      assertThat(m.trainLoss()).as("KL(teacher || student) of epoch " + m.epoch()).isGreaterThanOrEqualTo(0);
    }
    assertThat(student.get(9).trainLoss()).isLessThan(student.get(0).trainLoss());
    // 40 validation images, 4 classes: a chance-level model gets 18 or more right with probability 0.005
    assertThat(student.get(9).top1()).as("validation top-1 of the student, chance 0.25; epochs " + student)
        .isGreaterThanOrEqualTo(0.45);
    List<Row> rows = spark.sql("SELECT epoch FROM cvpipe.runs.train_metrics WHERE run = 'student'").collectAsList();
    assertThat(rows).hasSize(10);

    // on two tasks, each rank loads the stored augmentations of its share and replays them, none left out
    List<EpochMetrics> ranks = new TrainJob(spark, train("train.run=student-on-2", "train.data=reinforced",
        "train.lr.max=0.05", "train.epochs=2", "train.tasks=2", "train.collective-timeout=180s"), 1).run();
    assertThat(ranks).hasSize(2);
    for (EpochMetrics m : ranks) {
      assertThat(m.skipped()).as("samples left out in epoch " + m.epoch()).isZero();
      assertThat(m.steps()).as("steps of epoch " + m.epoch() + ": 80 samples a task, batch 16").isEqualTo(5);
    }

    // SET on reinforced data: scored every epoch, out after one easy scoring; each epoch's steps follow the
    // samples the scoring before it left in (160 training samples, batch 16)
    new TrainJob(spark, train("train.run=student-set", "train.data=reinforced", "train.lr.max=0.05",
        "train.epochs=4", "train.set.enabled=true", "train.set.interval=1", "train.set.min-frequency=1",
        "train.set.confidence=0.3"), 1).run();
    List<Row> set = spark.sql("SELECT m.epoch, m.steps, m.full_steps, m.set_skipped, (SELECT count_if(skipped) "
        + "FROM cvpipe.runs.set_state s WHERE s.run = m.run AND s.epoch = m.epoch - 1), (SELECT count(*) FROM "
        + "cvpipe.runs.set_state s WHERE s.run = m.run AND s.epoch = m.epoch - 1) FROM cvpipe.runs.train_metrics m "
        + "WHERE m.run = 'student-set' ORDER BY m.epoch").collectAsList();
    assertThat(set).hasSize(4);
    long skippedAtAll = 0;
    for (Row m : set.subList(1, 4)) {
      assertThat(m.getLong(5)).as("samples scored after epoch %d", m.getInt(0) - 1).isEqualTo(160);
      assertThat(m.getLong(3)).as("epoch %d", m.getInt(0)).isEqualTo(m.getLong(4));
      assertThat(m.getLong(1)).as("steps of epoch %d", m.getInt(0)).isEqualTo((160 - m.getLong(3) + 15) / 16);
      assertThat(m.getLong(2)).isEqualTo(10);
      skippedAtAll += m.getLong(3);
    }
    assertThat(skippedAtAll).as("the reinforced student gets some shapes right with confidence 0.3").isPositive();

    // a table made by another replay version (older pixels than this cvpipe draws) is refused, not replayed
    spark.sql("ALTER TABLE cvpipe.shapes.reinforced SET TBLPROPERTIES ('cvpipe.reinforce.replay' = '1')");
    try {
      assertThatThrownBy(() -> new TrainJob(spark, train("train.run=student-old", "train.data=reinforced")).run())
          .hasMessageContaining("train.data: reinforced, but cvpipe.shapes.reinforced was made for replay version 1")
          .hasMessageContaining("re-run cvpipe reinforce with the same settings");
    } finally {
      spark.sql("ALTER TABLE cvpipe.shapes.reinforced SET TBLPROPERTIES ('cvpipe.reinforce.replay' = '"
          + io.cvpipe.common.augment.AugmentReplay.version() + "')");
    }
  }

  @Test
  void trainingFromAMissingOrUnfinishedReinforcedTableSaysWhatToDo() {
    ShapesTable.write(spark, "plain", Map.of("train", 8), SIZE, 13);
    assertThatThrownBy(() -> new TrainJob(spark, train("dataset=plain", "train.run=x", "train.data=reinforced")).run())
        .hasMessageContaining("cvpipe.plain.reinforced does not exist").hasMessageContaining("cvpipe reinforce");
    assertThatThrownBy(() -> train("train.run=x", "train.data=teachers"))
        .hasMessageContaining("train.data").hasMessageContaining("reinforced");
  }
}
