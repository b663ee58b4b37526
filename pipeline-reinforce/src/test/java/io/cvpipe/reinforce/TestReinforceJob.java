package io.cvpipe.reinforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.reinforce.TeacherTopK;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.reinforce.testing.Teachers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.iceberg.Table;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reinforcement as a Spark job in local[2] over real Iceberg tables of generated shapes, with untrained
 * (random, pixel-sensitive) teachers exported by the engine.
 */
class TestReinforceJob {

  private static final int SIZE = 24;
  private static final List<String> LABELS = List.of(SyntheticImages.label(0), SyntheticImages.label(1),
      SyntheticImages.label(2), SyntheticImages.label(3));

  @TempDir
  static Path tmp;
  private static SparkSession spark;
  private static Path teacherA;
  private static Path teacherB;

  @BeforeAll
  static void prepare() {
    spark = TestSpark.start(tmp.resolve("warehouse"));
    teacherA = Teachers.untrained(tmp.resolve("models/teacher-a/best"), "cnn2", LABELS, SIZE, 1);
    teacherB = Teachers.untrained(tmp.resolve("models/teacher-b/best"), "cnn2", LABELS, 20, 2);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static ReinforceSettings settings(String dataset, String... extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=" + dataset, "reinforce.models-dir=" + tmp.resolve("models"),
        "reinforce.teachers=[teacher-a, " + teacherB + "]", "reinforce.augmentations=3", "reinforce.top-k=3",
        "reinforce.policy=rrc-ra-re-mix", "reinforce.batch-size=16", "reinforce.shard-size=8"));
    sets.addAll(List.of(extra));
    return ReinforceSettings.from(Settings.load(null, sets));
  }

  private static List<Row> rows(String dataset) {
    return spark.sql("SELECT * FROM " + Tables.reinforced(dataset) + " ORDER BY sample_id, augmentation").collectAsList();
  }

  @Test
  void storesNAugmentationsPerSampleWithTheEnsemblesTopKAndDescribesHowTheTableWasMade() {
    ShapesTable.write(spark, "one", Map.of("train", 20, "val", 6), SIZE, 3);
    ReinforceJob.Result result = new ReinforceJob(spark, settings("one")).run();

    assertThat(result.samples()).isEqualTo(20);
    assertThat(result.reinforced()).isEqualTo(20);
    List<Row> rows = rows("one");
    assertThat(rows).hasSize(60);
    assertThat(spark.sql("SELECT DISTINCT sample_id, augmentation FROM cvpipe.one.reinforced").count()).isEqualTo(60);
    List<Long> train = spark.sql("SELECT sample_id FROM cvpipe.one.samples WHERE split = 'train'").collectAsList()
        .stream().map(r -> r.getLong(0)).toList();
    for (Row r : rows) {
      assertThat(r.<String>getAs("split")).isEqualTo("train");
      assertThat(r.<Integer>getAs("augmentation")).isBetween(0, 2);
      assertThat(r.getList(r.fieldIndex("ops"))).hasSize(2);
      // ml-dr's mixing: MixUp, CutMix, both or none; a partner only when something mixes
      assertThat(r.<String>getAs("mix")).isIn("mixup", "cutmix", "mixup+cutmix", null);
      if (r.getAs("mix") != null) {
        assertThat(train).contains(r.<Long>getAs("partner_id"));
      } else {
        assertThat(r.<Long>getAs("partner_id")).isNull();
      }
      List<Float> probs = r.getList(r.fieldIndex("teacher_probs"));
      List<Integer> classes = r.getList(r.fieldIndex("teacher_classes"));
      assertThat(classes).hasSize(3).doesNotHaveDuplicates().allMatch(c -> c >= 0 && c < 4);
      assertThat(probs).hasSize(3).isSortedAccordingTo((a, b) -> Float.compare(b, a));
      assertThat(probs.stream().mapToDouble(Float::doubleValue).sum()).isLessThanOrEqualTo(1.0).isGreaterThan(0.5);
    }
    // random teachers still answer differently for different augmentations of one sample
    assertThat(rows.stream().map(r -> r.getList(r.fieldIndex("teacher_probs"))).distinct().count()).isGreaterThan(30);

    Map<String, String> p = Tables.iceberg(spark, Tables.reinforced("one")).properties();
    assertThat(p).containsEntry(ReinforceJob.VERSION, result.version())
        .containsEntry("cvpipe.reinforce.teachers", "teacher-a,teacher-b")
        .containsEntry("cvpipe.reinforce.augmentations", "3").containsEntry("cvpipe.reinforce.top-k", "3")
        .containsEntry("cvpipe.reinforce.seed", "0").containsEntry("cvpipe.reinforce.policy", "rrc-ra-re-mix")
        .containsEntry("cvpipe.reinforce.replay", Integer.toString(io.cvpipe.common.augment.AugmentReplay.version()));
    assertThat(rows).allMatch(r -> r.<String>getAs("version").equals(result.version()));
  }

  /**
   * The same samples and settings give the same rows, mixing partners included, whatever the shard size, the
   * batch size, the commit size and which samples a re-run still had to do (ml-dr's mixing policy).
   */
  @Test
  void theSameSamplesAndSettingsGiveTheSameRows() {
    ShapesTable.write(spark, "twin_a", Map.of("train", 12), SIZE, 4);
    ShapesTable.write(spark, "twin_b", Map.of("train", 12), SIZE, 4);
    new ReinforceJob(spark, settings("twin_a")).run();
    new ReinforceJob(spark, settings("twin_b", "reinforce.batch-size=5", "reinforce.shard-size=3")).run();
    spark.sql("DELETE FROM " + Tables.reinforced("twin_b") + " WHERE sample_id % 2 = 0");
    ReinforceJob.Result rest = new ReinforceJob(spark, settings("twin_b", "reinforce.shard-size=2",
        "reinforce.commit-every=2")).run();
    assertThat(rest.reinforced()).as("the deleted half, done again").isBetween(1L, 11L);
    List<Row> a = rows("twin_a");
    List<Row> b = rows("twin_b");
    assertThat(b).hasSize(36);
    assertThat(a.stream().filter(r -> r.getAs("mix") != null).count()).as("ml-dr mixes about 3 in 4").isGreaterThan(12);
    int probs = a.get(0).fieldIndex("teacher_probs");
    for (int i = 0; i < a.size(); i++) {
      for (int f = 0; f < a.get(i).size(); f++) {
        if (f != probs) {
          assertThat(b.get(i).get(f)).as(a.get(i).schema().fields()[f].name()).isEqualTo(a.get(i).get(f));
        }
      }
      // TensorFlow's CPU kernels may add in another order for another batch size: at most one grid step apart
      List<Float> pa = a.get(i).getList(probs);
      List<Float> pb = b.get(i).getList(probs);
      for (int j = 0; j < pa.size(); j++) {
        assertThat(pb.get(j)).isCloseTo(pa.get(j), org.assertj.core.api.Assertions.within(1.01f / TeacherTopK.GRID));
      }
    }
  }

  @Test
  void reRunsDoOnlyWhatIsMissingWithoutDuplicates() {
    ShapesTable.write(spark, "grow", Map.of("train", 30), SIZE, 5);
    String name = Tables.reinforced("grow");
    // a run stopped after its first commits (a real kill -9 is TestReinforceCommand's): here, a smaller run of
    // the same version over part of the split, then the whole split
    new ReinforceJob(spark, settings("grow", "reinforce.commit-every=5")).run();
    List<Row> full0 = rows("grow");
    long full = spark.table(name).count();
    assertThat(full).isEqualTo(90);
    spark.sql("DELETE FROM " + name + " WHERE sample_id % 3 = 0");
    long partial = spark.table(name).count();
    assertThat(partial).isGreaterThan(0).isLessThan(90);
    List<Row> survivors = rows("grow");

    ReinforceJob.Result finished = new ReinforceJob(spark, settings("grow", "reinforce.commit-every=5")).run();
    assertThat(finished.alreadyDone() * 3).isEqualTo(partial);
    assertThat(finished.commits()).isEqualTo((int) Math.ceil(finished.reinforced() / 5.0));
    assertThat(rows("grow")).as("the rows done again are those deleted, partners and all").containsAll(full0);
    assertThat(spark.table(name).count()).isEqualTo(90);
    assertThat(spark.sql("SELECT DISTINCT sample_id, augmentation FROM " + name).count()).isEqualTo(90);
    assertThat(rows("grow")).containsAll(survivors);

    int snapshots = committed(name);
    ReinforceJob.Result again = new ReinforceJob(spark, settings("grow")).run();
    assertThat(again.reinforced()).isZero();
    assertThat(committed(name)).as("a re-run with nothing new commits nothing").isEqualTo(snapshots);

    List<Row> extra = new ArrayList<>();
    Random rnd = new Random(8);
    for (int i = 0; i < 4; i++) {
      extra.add(ShapesTable.row("train", i, "train/new/" + i + ".JPEG",
          SyntheticImages.jpeg(SyntheticImages.shape(i, SIZE, SIZE, rnd), 0.9f), SIZE));
    }
    Tables.append(spark, spark.createDataFrame(extra, Schemas.SAMPLES), Tables.samples("grow"), Schemas.SAMPLES, "test");
    List<Row> before = rows("grow");
    ReinforceJob.Result grown = new ReinforceJob(spark, settings("grow")).run();
    assertThat(grown.reinforced()).isEqualTo(4);
    assertThat(grown.alreadyDone()).isEqualTo(30);
    List<Row> after = rows("grow");
    assertThat(after).hasSize(102).containsAll(before);
  }

  @Test
  void changedSettingsMakeANewVersionThatReplacesTheOldOneWhenComplete() {
    ShapesTable.write(spark, "versions", Map.of("train", 10), SIZE, 6);
    ReinforceJob.Result first = new ReinforceJob(spark, settings("versions")).run();
    ReinforceJob.Result second = new ReinforceJob(spark, settings("versions", "reinforce.seed=7")).run();
    assertThat(second.version()).isNotEqualTo(first.version());
    assertThat(second.reinforced()).isEqualTo(10);
    List<Row> rows = rows("versions");
    assertThat(rows).hasSize(30).allMatch(r -> r.<String>getAs("version").equals(second.version()));
    Table table = Tables.iceberg(spark, Tables.reinforced("versions"));
    assertThat(table.properties()).containsEntry(ReinforceJob.VERSION, second.version())
        .containsEntry("cvpipe.reinforce.seed", "7");
  }

  @Test
  void badTeachersAreRefusedWithWhatToFix() {
    ShapesTable.write(spark, "bad", Map.of("train", 4), SIZE, 7);
    Path three = Teachers.untrained(tmp.resolve("models/three/best"), "cnn2", LABELS.subList(0, 3), SIZE, 3);
    assertThatThrownBy(() -> new ReinforceJob(spark, settings("bad", "reinforce.teachers=[" + three + "]")).run())
        .hasMessageContaining("trained on 3 classes").hasMessageContaining("has 4");
    assertThatThrownBy(() -> new ReinforceJob(spark, settings("bad", "reinforce.teachers=[nowhere]")).run())
        .hasMessageContaining("reinforce.teachers").hasMessageContaining("neither a model directory nor a training run");
    assertThatThrownBy(() -> settings("bad", "reinforce.teachers=[]"))
        .hasMessageContaining("reinforce.teachers");
    assertThatThrownBy(() -> new ReinforceJob(spark, settings("absent")).run())
        .hasMessageContaining("cvpipe.absent.samples does not exist");
  }

  private static int committed(String table) {
    if (!Tables.exists(spark, table)) {
      return 0;
    }
    Table t = Tables.iceberg(spark, table);
    t.refresh();
    int n = 0;
    for (var s : t.snapshots()) {
      n++;
    }
    return n;
  }
}
