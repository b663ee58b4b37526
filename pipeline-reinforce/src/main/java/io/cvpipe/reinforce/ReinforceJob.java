package io.cvpipe.reinforce;

import static org.apache.spark.sql.functions.col;

import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.AugmentReplay;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.spark.Progress;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * {@code cvpipe reinforce}: the teacher ensemble's top-k answers for N stored augmentations of every sample
 * of the chosen splits, into {@code cvpipe.<dataset>.reinforced}.
 *
 * <p>A reinforced table describes how it was made in its properties ({@code cvpipe.reinforce.*}: teachers,
 * N, k, seed, policy) and in a fingerprint of all of them, the {@code version}, which every row carries. A run
 * reinforces the samples that have no rows of its version yet, in commits of {@code commit-every} samples, so
 * a run killed midway keeps what it committed and the next run does the rest, without duplicates. New
 * samples since the last run are the only work of a re-run; changed teachers or settings make a new version:
 * its rows are written beside the old ones (which training keeps reading), and when it is complete the
 * properties name the new version, then the old rows are deleted.
 */
public final class ReinforceJob {

  private static final Logger LOG = LogManager.getLogger(ReinforceJob.class);

  public static final String PROPERTY = Tables.REINFORCE_PROPERTY;
  public static final String VERSION = Tables.REINFORCE_VERSION;

  private final SparkSession spark;
  private final ReinforceSettings settings;

  public ReinforceJob(SparkSession spark, ReinforceSettings settings) {
    this.spark = spark;
    this.settings = settings;
  }

  /** What a run did. {@code samples}: candidates in the splits; {@code reinforced}: samples given rows now. */
  public record Result(String table, String version, long samples, long alreadyDone, long reinforced,
      long undecodable, int commits, double seconds, double imagesPerSecond) {

    public String summary() {
      return String.format(Locale.ROOT, "reinforce: %s version %s: %,d samples, %,d already reinforced, %,d reinforced "
          + "now%s in %d commits, %.1f s (%.1f augmented images/s)", table, version, samples, alreadyDone, reinforced,
          undecodable == 0 ? "" : String.format(Locale.ROOT, ", %,d undecodable (not reinforced, listed above)", undecodable),
          commits, seconds, imagesPerSecond);
    }
  }

  public Result run() {
    SampleTable samples = SampleTable.pinned(spark, settings.dataset());
    String samplesName = samples.name();
    List<String> labels = samples.labels();
    List<Teacher> teachers = teachers(samples);
    String version = fingerprint(teachers);
    String name = Tables.reinforced(settings.dataset());
    Tables.createIfMissing(spark, name, Schemas.REINFORCED, "split", Map.of("format-version", "2",
        "write.parquet.compression-codec", "zstd"));
    Tables.addMissingColumns(spark, name, Schemas.REINFORCED); // a table made by an earlier version
    Table table = Tables.iceberg(spark, name);
    String current = table.properties().get(VERSION);
    Snapshot snapshot = samples.snapshot();
    Dataset<Row> candidates = samples.rows("sample_id, split, class_index, image", settings.splits());
    Dataset<Row> finished = spark.table(name).where(col("version").equalTo(version)).select("sample_id").distinct();
    Column group = partnerGroup(samples);
    List<Row> pending = candidates.select(col("sample_id"), col("split"), group.as("partner_group"))
        .join(finished, "sample_id", "left_anti").orderBy("partner_group", "sample_id").collectAsList();
    long total = candidates.count();
    if (total == 0) {
      throw Errors.setting("reinforce.splits", settings.splits() + " have no rows in " + samplesName + " (snapshot "
          + snapshot.snapshotId() + ")");
    }
    LOG.info(String.format(Locale.ROOT, "reinforce %s: version %s (%d teachers, N = %d, top-%d, %s, seed %d): %,d of %,d "
        + "samples to do", name, version, teachers.size(), settings.augmentations(), settings.topK(),
        settings.policyKind().code(), settings.seed(), pending.size(), total));
    if (current != null && !current.equals(version) && !pending.isEmpty()) {
      LOG.info(String.format(Locale.ROOT, "reinforce %s: teachers or settings differ from version %s: writing version %s "
          + "beside it; training reads %s until this one is complete", name, current, version, current));
    }

    String run = UUID.randomUUID().toString();
    LongAccumulator done = spark.sparkContext().longAccumulator("reinforce samples");
    LongAccumulator undecodable = spark.sparkContext().longAccumulator("reinforce undecodable");
    ReinforcePartition task = new ReinforcePartition(teachers, labels.size(), settings, version, done, undecodable,
        new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
    long start = System.nanoTime();
    int commits = 0;
    try (Progress progress = Progress.start("reinforce " + settings.dataset(), "samples", pending.size(),
        spark.sparkContext(), done, Duration.ofSeconds(10))) {
      for (int from = 0; from < pending.size(); from += settings.commitEvery()) {
        // in group order: a commit reads few groups (a group cut by a commit is read by both)
        List<Row> chunk = pending.subList(from, Math.min(pending.size(), from + settings.commitEvery()));
        if (write(candidates, group, chunk, task, name, run, version, snapshot.snapshotId())) {
          commits++;
          LOG.info(String.format(Locale.ROOT, "reinforce %s: commit %d: %,d of %,d samples reinforced", name, commits,
              from + chunk.size(), pending.size()));
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long reinforced = pending.size() - undecodable.value();
    finish(name, table, current, version, teachers, snapshot.snapshotId());
    return new Result(name, version, total, total - pending.size(), reinforced, undecodable.value(), commits, seconds,
        reinforced * settings.augmentations() / Math.max(1e-9, seconds));
  }

  /** Samples per partner group, about: see {@link #partnerGroup}. */
  static final int PARTNER_GROUP = 1024;

  /**
   * The group a sample's mixing partners are drawn from: {@code split/k}, k a hash of (sample_id, seed) modulo
   * ceil(rows of the split / {@value #PARTNER_GROUP}) at the pinned snapshot. A partner is then a pure function of
   * (seed, sample_id, augmentation index) and the snapshot: not of the shard size, the commit size or which samples
   * a re-run still had to do.
   */
  private Column partnerGroup(SampleTable samples) {
    Column groups = null;
    for (String split : settings.splits()) {
      long rows = samples.rowCount(split);
      Column k = functions.lit(Math.max(1, (rows + PARTNER_GROUP - 1) / PARTNER_GROUP));
      groups = groups == null ? functions.when(col("split").equalTo(split), k)
          : groups.when(col("split").equalTo(split), k);
    }
    return functions.concat_ws("/", col("split"), functions.pmod(functions.xxhash64(col("sample_id"),
        functions.lit(settings.seed())), groups).cast("string"));
  }

  /**
   * One commit: the chunk's samples, with every other member of their partner groups as possible partners, a Spark
   * task per about shard-size samples to do (whole groups each).
   */
  private boolean write(Dataset<Row> candidates, Column group, List<Row> chunk, ReinforcePartition task, String name,
      String run, String version, long samplesSnapshot) {
    int shards = Math.max(1, (int) Math.ceil(chunk.size() / (double) settings.shardSize()));
    StructType idType = new StructType().add("pending_id", DataTypes.LongType, false)
        .add("pending_group", DataTypes.StringType, false);
    List<Row> ids = chunk.stream().map(r -> RowFactory.create(r.getLong(0), r.getString(2))).toList();
    Dataset<Row> todo = functions.broadcast(spark.createDataFrame(ids, idType));
    Dataset<Row> members = candidates.withColumn("partner_group", group);
    if (settings.policy().mixes()) { // every member of the chunk's groups can be a partner
      members = members.join(functions.broadcast(todo.select(col("pending_group").as("partner_group")).distinct()),
          "partner_group");
    }
    Dataset<Row> rows = members.join(todo, col("sample_id").equalTo(col("pending_id")), settings.policy().mixes()
            ? "left" : "inner")
        .select(col("sample_id"), col("split"), col("class_index"), col("image"), col("partner_group"),
            col("pending_id").isNotNull().as("pending"))
        .repartition(shards, col("partner_group"))
        .sortWithinPartitions("partner_group", "sample_id");
    Dataset<Row> out = spark.createDataFrame(rows.javaRDD().mapPartitions(task), Schemas.REINFORCED);
    Snapshot last = Tables.iceberg(spark, name).currentSnapshot();
    long before = last == null ? -1 : last.snapshotId();
    Tables.append(out, name, run, Map.of("snapshot-property." + VERSION, version,
        "snapshot-property." + PROPERTY + "samples-snapshot", Long.toString(samplesSnapshot)));
    Snapshot after = Tables.iceberg(spark, name).currentSnapshot();
    return after != null && after.snapshotId() != before;
  }

  /**
   * Once every sample has rows of this version: the table's properties describe it (so training reads it from
   * now on), then the rows of other versions go. Nothing is committed when both are so already; a run killed
   * between the two leaves old rows that the next run deletes.
   */
  private void finish(String name, Table table, String current, String version, List<Teacher> teachers, long snapshot) {
    if (!version.equals(current)) {
      Map<String, String> p = new LinkedHashMap<>();
      p.put(VERSION, version);
      p.put(PROPERTY + "teachers", teachers.stream().map(Teacher::id).collect(Collectors.joining(",")));
      p.put(PROPERTY + "augmentations", Integer.toString(settings.augmentations()));
      p.put(PROPERTY + "top-k", Integer.toString(settings.topK()));
      p.put(PROPERTY + "seed", Long.toString(settings.seed()));
      p.put(PROPERTY + "policy", settings.policyKind().code());
      p.put(PROPERTY + "policy-details", settings.policy().toString());
      p.put(PROPERTY + "replay", Integer.toString(AugmentReplay.version()));
      p.put(PROPERTY + "splits", String.join(",", settings.splits()));
      p.put(PROPERTY + "samples-snapshot", Long.toString(snapshot));
      table.refresh();
      var update = table.updateProperties();
      p.forEach(update::set);
      update.commit();
    }
    long stale = spark.table(name).where(col("version").notEqual(version)).limit(1).count();
    if (stale > 0) {
      spark.sql("DELETE FROM " + name + " WHERE version <> '" + version + "'");
      LOG.info(String.format(Locale.ROOT, "reinforce %s: deleted the rows of earlier versions", name));
    }
  }

  /** Resolves and checks every teacher: a SavedModel whose output has one logit per class of the dataset. */
  private List<Teacher> teachers(SampleTable samples) {
    List<Teacher> out = new ArrayList<>();
    for (String given : settings.teachers()) {
      ModelInput input = ModelInput.open(given, settings.modelsDir(), "reinforce.teachers", settings.inputSize(),
          settings.inputChannels(), spark.sparkContext().hadoopConfiguration());
      samples.requireModelFits(input, () -> Engines.logitsPerImage(input.directory(), input.height(), input.width(),
          input.channels()), "reinforce.teachers", "A teacher must know the dataset's classes");
      out.add(new Teacher(input.trainingRun() != null ? input.trainingRun() : input.home(), input));
    }
    return out;
  }

  /**
   * The version: a hash of what decides the rows' contents: each teacher's graph, variable index (TensorFlow
   * keeps a checksum per tensor there) and description, N, k, the seed, the policy, and the version of the
   * replay code (pixels made by other code would not match the stored answers).
   */
  private String fingerprint(List<Teacher> teachers) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Teacher t : teachers) {
        Path dir = t.input().directory();
        for (Path file : List.of(dir.resolve("saved_model.pb"), dir.resolve("variables/variables.index"),
            dir.resolve(ModelInput.DESCRIPTION))) {
          if (Files.isRegularFile(file)) {
            sha.update(Files.readAllBytes(file));
          }
        }
        ModelInput in = t.input();
        String view = in.height() + "x" + in.width() + "x" + in.channels() + "|" + java.util.Arrays.toString(in.mean())
            + "|" + java.util.Arrays.toString(in.std());
        sha.update(view.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      String knobs = settings.augmentations() + "|" + settings.topK() + "|" + settings.seed() + "|" + settings.policy()
          + "|replay " + AugmentReplay.version();
      sha.update(knobs.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a teacher's files to fingerprint it", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
