package io.cvpipe.train;

import io.cvpipe.common.Errors;
import io.cvpipe.common.Logging;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.Reinforcement;
import io.cvpipe.train.set.SkipSet;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * {@code cvpipe train}: the driver pins a snapshot of the samples table and plans which data files hold
 * each split; one Spark barrier task (a barrier stage so that the distributed issue can give the same loop N
 * tasks) loads its files and runs {@link TrainLoop}. The driver writes each finished epoch (read from its
 * checkpoint's metrics) to {@code cvpipe.runs.train_metrics} while the task trains on, and the rest from what the
 * task sends back at the end.
 */
public final class TrainJob {

  private static final Logger LOG = LogManager.getLogger(TrainJob.class);

  private final SparkSession spark;
  private final TrainSettings settings;
  private final long pollSeconds;
  private int attempts;
  private RunDirectory runDirectory;
  /** The last epoch of this run in train_metrics. */
  private int written;

  public TrainJob(SparkSession spark, TrainSettings settings) {
    this(spark, settings, 10);
  }

  /** {@code pollSeconds}: how often the driver looks for finished epochs while the task trains. */
  TrainJob(SparkSession spark, TrainSettings settings, long pollSeconds) {
    this.spark = spark;
    this.settings = settings;
    this.pollSeconds = pollSeconds;
  }

  /** Epochs already recorded for {@code run} in cvpipe.runs.train_metrics (0 when none). */
  private static long recorded(SparkSession spark, String run) {
    if (!Tables.exists(spark, Tables.TRAIN_METRICS)) {
      return 0;
    }
    return spark.table(Tables.TRAIN_METRICS).filter(org.apache.spark.sql.functions.col("run").equalTo(run)).count();
  }

  public List<EpochMetrics> run() {
    attempts = 1;
    long earlier = recorded(spark, settings.run());
    runDirectory = RunDirectory.of(settings, spark.sparkContext().hadoopConfiguration());
    runDirectory.pull(RunDirectory::metadata);
    java.nio.file.Path runDir = runDirectory.local();
    long scorings = !Tables.exists(spark, Tables.SET_STATE) ? 0 : spark.table(Tables.SET_STATE)
        .filter(org.apache.spark.sql.functions.col("run").equalTo(settings.run())).limit(1).count();
    if (!settings.resume() && (earlier > 0 || Checkpoints.any(runDir) || scorings > 0)) {
      throw Errors.state("train.run '" + settings.run() + "' already exists (" + earlier + " epochs in "
          + Tables.TRAIN_METRICS + (scorings > 0 ? ", SET state in " + Tables.SET_STATE : "") + ", checkpoints in "
          + runDirectory.location() + "). Pick a new train.run, or continue it with --set train.resume=true");
    }
    if (settings.resume() && earlier >= settings.epochs()) {
      List<EpochMetrics> done = Checkpoints.completed(runDir);
      if (done.size() >= settings.epochs()) {
        LOG.info("train " + settings.run() + ": all " + settings.epochs() + " epochs are done; nothing to resume");
        return done;
      }
    }
    SampleTable samples = SampleTable.pinned(spark, settings.dataset());
    String samplesName = samples.name();
    Table table = samples.table();
    Snapshot snapshot = samples.snapshot();
    List<String> labels = samples.requireClasses(2, "training");
    int classes = labels.size();
    RunLayout.recordOrCheck(runDir, settings.modelSpec(classes), settings.run(),
        settings.resume() && Checkpoints.any(runDir));
    runDirectory.publish();
    Plan train = plan(table, snapshot, settings.split());
    if (train.files.isEmpty()) {
      throw Errors.setting("train.split", "'" + settings.split() + "' has no rows in " + samplesName
          + " (snapshot " + snapshot.snapshotId() + "). Splits there: " + samples.splits());
    }
    Plan val = settings.valSplit().isEmpty() ? new Plan(List.of(), 0) : plan(table, snapshot, settings.valSplit());
    if (!settings.valSplit().isEmpty() && val.files.isEmpty()) {
      LOG.warn("train " + settings.run() + ": split '" + settings.valSplit() + "' has no rows; training without validation");
    }
    long taskBytes = (train.bytes + settings.tasks() - 1) / settings.tasks() + val.bytes; // rank 0's share
    if (taskBytes > settings.maxTaskBytes()) {
      throw Errors.setting("train.max-task-bytes", String.format(Locale.ROOT,
          "a task would hold %,d MB of images, above the limit of %,d MB. Raise it (with executor memory to match), "
              + "or spread the split over more tasks (train.tasks)", taskBytes >> 20, settings.maxTaskBytes() >> 20));
    }
    Reinforced reinforced = settings.reinforced() ? reinforced() : null;
    Schema projection = table.schema().select(TableFiles.COLUMNS);
    LOG.info(String.format(Locale.ROOT, "train %s: %s at snapshot %d: %d training files (%,d MB), %d validation files, %d classes",
        settings.run(), samplesName, snapshot.snapshotId(), train.files.size(), train.bytes >> 20, val.files.size(), classes));

    SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    SetScoring scoring = new SetScoring(spark, settings, samples, runDirectory, classes);
    written = (int) earlier;
    List<EpochMetrics> finished = settings.resume() ? completed(runDir) : List.of();
    while (true) { // without SET one stretch; with it, one per scoring
      SkipSet skips = scoring.before(finished.size());
      TrainLoop.Segment segment = new TrainLoop.Segment(finished,
          settings.set().segmentEnd(finished.size(), settings.epochs()), skips);
      List<EpochMetrics> metrics;
      // one task trains in the executor's own process, unless its TensorFlow must load with other kernels
      // (train.onednn): TF_ENABLE_ONEDNN_OPTS is read once per process, so then a training process of its own
      if (settings.tasks() == 1 && settings.oneDnnVariable(System.getenv()) == null) {
        TaskBody body = new TaskBody(settings, new ArrayList<>(labels), train.locations(), val.locations(), projection,
            reinforced, conf, runDirectory, segment);
        metrics = await(body, 1, runDir, snapshot.snapshotId());
      } else {
        metrics = distributed(labels, train, val, projection, reinforced, conf, runDir, snapshot.snapshotId(), segment);
      }
      if (segment.until() >= settings.epochs()) {
        return metrics;
      }
      finished = completed(runDir);
      if (finished.size() < segment.until()) {
        throw Errors.state("train " + settings.run() + ": the tasks trained to epoch " + segment.until() + " but the "
            + "driver sees " + finished.size() + " complete checkpoints in " + runDirectory.location() + ". SET scores "
            + "between stretches of training from the driver: put train.models-dir where the driver and the "
            + "executors both reach it (a shared file system, s3a://, hdfs://)");
      }
    }
  }

  /** The run's complete checkpoints as the models directory has them now. */
  private List<EpochMetrics> completed(java.nio.file.Path runDir) {
    runDirectory.pull(RunDirectory::metadata);
    return Checkpoints.completed(runDir);
  }

  /** How many attempts the last {@link #run} took (1 when nothing failed). */
  public int attempts() {
    return attempts;
  }

  /**
   * {@code train.tasks} barrier tasks, one replica each. A failed barrier result stage is not retried by Spark, so
   * this loop does it: each attempt is a new job on fresh ports that resumes from the last complete checkpoint.
   */
  private List<EpochMetrics> distributed(List<String> labels, Plan train, Plan val, Schema projection,
      Reinforced reinforced, SerializableConfiguration conf, java.nio.file.Path runDir, long snapshotId,
      TrainLoop.Segment segment) {
    int tasks = settings.tasks();
    int slots = spark.sparkContext().defaultParallelism();
    String master = spark.sparkContext().master();
    if (master.startsWith("local") && slots < tasks) {
      throw Errors.setting("train.tasks", tasks + " barrier tasks need " + tasks + " task slots at once, and "
          + master + " has " + slots + ": run with --master local[" + tasks + "] or more, or lower train.tasks");
    }
    if (train.rows() < tasks) {
      throw Errors.setting("train.tasks", tasks + " tasks for " + train.rows() + " training samples: every task needs "
          + "at least one");
    }
    long imageShare = (train.bytes + tasks - 1) / tasks;
    long heap = settings.workerHeapBytes() > 0 ? settings.workerHeapBytes() >> 20
        : workerHeapMegabytes(imageShare + val.bytes + (reinforced != null && reinforced.mixes() ? imageShare : 0),
            reinforced == null ? 0 : (reinforced.rows() + tasks - 1) / tasks);
    LOG.info(String.format(Locale.ROOT, "train %s: %d tasks, %,d samples each per epoch (the deal changes every epoch), a "
        + "global batch of %d at the base scale, %s batch norm, training processes of %,d MB heap", settings.run(),
        tasks, Deal.share(train.files(), segment.skips(), tasks), settings.sampler().batchSize() * tasks,
        settings.syncBatchNorm() ? "synchronised" : "per-task", heap));
    for (attempts = 1; ; attempts++) {
      List<EpochMetrics> done = attempts == 1 ? segment.done() : completed(runDir);
      if (done.size() >= segment.until()) {
        return done;
      }
      TrainingTask body = new TrainingTask(settings, labels, train.files(), val.locations(), projection, reinforced, conf,
          runDirectory, attempts, new TrainLoop.Segment(done, segment.until(), segment.skips()), heap);
      try {
        return await(body, tasks, runDir, snapshotId);
      } catch (SparkJobFailed failed) {
        String[] user = TrainingTask.userError(failed.getCause());
        if (user != null) {
          throw switch (TrainingTask.kind(user[0])) {
            case SETTINGS -> Errors.usage(user[1]);
            case INPUT -> Errors.input(user[1]);
            case STATE -> Errors.state(user[1]);
          };
        }
        String cause = TrainingTask.cause(failed.getCause());
        if (attempts == settings.maxAttempts()) {
          throw Errors.state("train " + settings.run() + ": attempt " + attempts + " of " + settings.maxAttempts()
              + " failed, the last allowed (train.max-attempts): " + cause);
        }
        LOG.warn(String.format(Locale.ROOT, "train %s: attempt %d of %d failed: %s", settings.run(), attempts,
            settings.maxAttempts(), cause));
        LOG.info(String.format(Locale.ROOT, "train %s: attempt %d starts on fresh ports and resumes after epoch %d (the "
            + "last complete checkpoint)", settings.run(), attempts + 1, completed(runDir).size()));
      }
    }
  }

  /** A failed training job. */
  private static final class SparkJobFailed extends RuntimeException {

    SparkJobFailed(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Runs the barrier stage of {@code tasks} tasks and waits for it, writing each finished epoch to train_metrics
   * as its checkpoint completes (when the driver sees the models directory), the rest when the tasks return.
   */
  private List<EpochMetrics> await(AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<EpochMetrics>> body,
      int tasks, java.nio.file.Path runDir, long snapshotId) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Integer> ranks = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      ranks.add(i);
    }
    JavaFutureAction<List<EpochMetrics>> job = jsc.parallelize(ranks, tasks).rdd().barrier()
        .mapPartitions(body, false, ClassTag$.MODULE$.apply(EpochMetrics.class)).toJavaRDD().collectAsync();
    while (true) {
      try {
        List<EpochMetrics> metrics = job.get(pollSeconds, TimeUnit.SECONDS);
        writeMetrics(metrics, snapshotId);
        return metrics.stream().map(m -> m.withCheckpoint(runDirectory.locate(m.checkpoint()))).toList();
      } catch (TimeoutException running) {
        writeMetrics(completed(runDir), snapshotId);
      } catch (ExecutionException e) {
        if (tasks > 1) {
          writeMetrics(completed(runDir), snapshotId);
          throw new SparkJobFailed(e.getCause());
        }
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        job.cancel(true);
        Thread.currentThread().interrupt();
        throw new IllegalStateException("train " + settings.run() + " interrupted", e);
      }
    }
  }

  /** What runs in the barrier task: load the task's files, train, return the epochs' metrics. */
  private static final class TaskBody extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<EpochMetrics>>
      implements Serializable {
    private final TrainSettings settings;
    private final List<String> labels;
    private final List<String> trainFiles;
    private final List<String> valFiles;
    private final Schema projection;
    private final Reinforced reinforced;
    private final SerializableConfiguration conf;
    private final RunDirectory runDirectory;
    private final TrainLoop.Segment segment;

    TaskBody(TrainSettings settings, List<String> labels, List<String> trainFiles, List<String> valFiles,
        Schema projection, Reinforced reinforced, SerializableConfiguration conf, RunDirectory runDirectory,
        TrainLoop.Segment segment) {
      this.runDirectory = runDirectory;
      this.segment = segment;
      this.settings = settings;
      this.labels = labels;
      this.trainFiles = trainFiles;
      this.valFiles = valFiles;
      this.projection = projection;
      this.reinforced = reinforced;
      this.conf = conf;
    }

    @Override
    public scala.collection.Iterator<EpochMetrics> apply(scala.collection.Iterator<Integer> ignored) {
      BarrierTaskContext context = BarrierTaskContext.get();
      InMemorySamples train = TableFiles.load(trainFiles, projection, conf.value());
      InMemorySamples val = TableFiles.load(valFiles, projection, conf.value());
      Reinforcement reinforcement = null;
      if (reinforced != null) {
        reinforcement = new Reinforcement(TableFiles.loadReinforced(reinforced.files, reinforced.schema,
            reinforced.version, reinforced.rows, conf.value()), settings.reinforcedProbability());
        int missing = train.size() - reinforcement.samples();
        LOG.info(String.format(Locale.ROOT, "train %s: reinforced version %s: %,d stored augmentations (%,d MB) of "
            + "%,d samples%s", settings.run(), reinforced.version, reinforcement.stored().rows(),
            reinforcement.stored().bytes() >> 20, reinforcement.samples(), missing <= 0 ? "" : String.format(Locale.ROOT,
                "; %,d newer samples have none yet (re-run cvpipe reinforce): they train on their labels", missing)));
      }
      List<EpochMetrics> metrics = new TrainLoop(settings, labels, TrainLoop.Member.alone(settings), runDirectory,
          Logging.lines(LogManager.getLogger(TrainLoop.class), Level.INFO)).run(train, val, reinforcement, segment);
      return CollectionConverters.asScala(metrics.iterator());
    }
  }

  /** The data files of a split, sorted by location, with their rows and bytes. */
  private record Plan(List<Deal.DataFile> files, long bytes) {

    List<String> locations() {
      return files.stream().map(Deal.DataFile::location).toList();
    }

    long rows() {
      return files.stream().mapToLong(Deal.DataFile::rows).sum();
    }
  }

  /**
   * A reinforced table's data files holding the training split at its finished version, their rows, and whether
   * any of them mixes two samples.
   */
  record Reinforced(List<String> files, Schema schema, String version, long rows, boolean mixes)
      implements Serializable {}

  /**
   * A stored augmentation as a training process holds it ({@link io.cvpipe.train.input.StoredAugmentations}): 137
   * bytes a row in its arrays and 156 on the heap (473 as records before), measured on a Fashion-MNIST table
   * (RRC+RA/RE+mixing, top-10), some 4 times its bytes in Parquet.
   */
  static final long STORED_AUGMENTATION_BYTES = 200;

  /**
   * {@code train.worker-heap}'s {@code auto}: 1 GB, 3x the task's share of encoded image bytes (the bytes, the decoded
   * images kept, the next epoch's share read before the last one is let go; with a table that mixes, the share
   * counts twice: at most one partner from another share per sample), and twice its share of stored augmentations
   * (the next epoch's loaded before the last one's are let go).
   */
  static long workerHeapMegabytes(long imageBytes, long storedAugmentations) {
    return 1024 + (3 * imageBytes + 2 * storedAugmentations * STORED_AUGMENTATION_BYTES >> 20);
  }

  private Reinforced reinforced() {
    String name = Tables.reinforced(settings.dataset());
    if (!Tables.exists(spark, name)) {
      throw Errors.setting("train.data", "reinforced, but " + name + " does not exist: make it first with cvpipe "
          + "reinforce --set dataset=" + settings.dataset() + " --set reinforce.teachers=[...]");
    }
    Table table = Tables.iceberg(spark, name);
    String version = table.properties().get(Tables.REINFORCE_VERSION);
    if (version == null || table.currentSnapshot() == null) {
      throw Errors.setting("train.data", "reinforced, but " + name + " has no finished version yet (a reinforce run "
          + "was stopped before it completed): re-run cvpipe reinforce with the same settings to finish it");
    }
    String replay = table.properties().getOrDefault(Tables.REINFORCE_PROPERTY + "replay", "1");
    if (!replay.equals(Integer.toString(io.cvpipe.common.augment.AugmentReplay.version()))) {
      throw Errors.setting("train.data", "reinforced, but " + name + " was made for replay version " + replay + " and "
          + "this cvpipe replays version " + io.cvpipe.common.augment.AugmentReplay.version() + " (its pixels differ from "
          + "those the teachers saw). Rebuild it: re-run cvpipe reinforce with the same settings");
    }
    List<String> files = new ArrayList<>();
    long rows = 0;
    boolean mixes = false;
    int mix = table.schema().findField("mix").fieldId();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().includeColumnStats().filter(Expressions.and(
        Expressions.equal("split", settings.split()), Expressions.equal("version", version))).planFiles()) {
      for (FileScanTask task : tasks) {
        if (!task.deletes().isEmpty()) {
          throw Errors.state(name + " has row-level delete files; training reads its data files directly. Compact it "
              + "first: CALL cvpipe.system.rewrite_data_files(table => '" + name.substring(Tables.CATALOG.length() + 1) + "')");
        }
        files.add(task.file().location());
        rows += task.file().recordCount();
        Long nulls = task.file().nullValueCounts() == null ? null : task.file().nullValueCounts().get(mix);
        mixes |= nulls == null || nulls < task.file().recordCount(); // no counts kept: it may mix
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot plan the scan of " + name, e);
    }
    if (files.isEmpty()) {
      throw Errors.setting("train.data", "reinforced, but " + name + " has no rows of split '" + settings.split()
          + "' (it was made for splits " + table.properties().get(Tables.REINFORCE_PROPERTY + "splits") + ")");
    }
    files.sort(null);
    LOG.info(String.format(Locale.ROOT, "train %s: reinforced by %s (version %s, N = %s, top-%s, %s), %d files",
        settings.run(), table.properties().get(Tables.REINFORCE_PROPERTY + "teachers"), version,
        table.properties().get(Tables.REINFORCE_PROPERTY + "augmentations"), table.properties().get(Tables.REINFORCE_PROPERTY + "top-k"),
        table.properties().get(Tables.REINFORCE_PROPERTY + "policy"), files.size()));
    return new Reinforced(files, table.schema(), version, rows, mixes);
  }

  private static Plan plan(Table table, Snapshot snapshot, String split) {
    List<Deal.DataFile> files = new ArrayList<>();
    long bytes = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().useSnapshot(snapshot.snapshotId())
        .filter(Expressions.equal("split", split)).planFiles()) {
      for (FileScanTask task : tasks) {
        files.add(new Deal.DataFile(task.file().location(), task.file().recordCount(), task.file().fileSizeInBytes()));
        bytes += task.file().fileSizeInBytes();
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot plan the scan of " + table.name(), e);
    }
    // a stable sample order: resumed runs must index the same samples
    files.sort(java.util.Comparator.comparing(Deal.DataFile::location));
    return new Plan(files, bytes);
  }

  /** Appends the epochs after the last one written to train_metrics. */
  private void writeMetrics(List<EpochMetrics> all, long snapshotId) {
    List<EpochMetrics> metrics = all.stream().filter(m -> m.epoch() > written).toList();
    if (metrics.isEmpty()) {
      return;
    }
    Tables.createIfMissing(spark, Tables.TRAIN_METRICS, Schemas.TRAIN_METRICS, "", Map.of("format-version", "2"));
    Tables.addMissingColumns(spark, Tables.TRAIN_METRICS, Schemas.TRAIN_METRICS);
    String model = settings.model() + "x" + settings.width();
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> rows = new ArrayList<>();
    for (EpochMetrics m : metrics) {
      rows.add(RowFactory.create(settings.run(), settings.dataset(), model, m.epoch(), m.trainLoss(), m.valLoss(),
          m.top1(), m.top5(), m.emaValLoss(), m.emaTop1(), m.emaTop5(), m.learningRate(), m.imagesPerSecond(), m.seconds(), m.skipped(),
          runDirectory.locate(m.checkpoint()), snapshotId, now, m.steps() == 0 ? null : m.steps(),
          m.fullSteps() == 0 ? null : m.fullSteps(), m.setSkipped()));
    }
    Tables.append(spark, spark.createDataFrame(rows, Schemas.TRAIN_METRICS), Tables.TRAIN_METRICS,
        Schemas.TRAIN_METRICS, settings.run());
    written = metrics.get(metrics.size() - 1).epoch();
  }
}
