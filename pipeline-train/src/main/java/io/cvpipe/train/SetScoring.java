package io.cvpipe.train;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.cvpipe.common.Errors;
import io.cvpipe.common.metrics.Softmax;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.table.SampleTable;
import io.cvpipe.common.table.Schemas;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.Predictor;
import io.cvpipe.train.input.BatchLoader;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.input.View;
import io.cvpipe.train.sampler.BatchPlan;
import io.cvpipe.train.set.SetSettings;
import io.cvpipe.train.set.SkipSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;

/**
 * SET's scoring, between two stretches of training: the model of the scoring epoch (the EMA model when the run
 * keeps one, exported with that epoch's checkpoint) predicts every training sample with the training view, as a
 * Spark job over the samples table at the run's pinned snapshot; each sample's counter is updated from the last
 * scoring's and the whole state written to {@code cvpipe.runs.set_state} in one commit. The samples whose counter
 * is at the top then sit out the next stretch. Everything is a function of the checkpoint, the seed and the
 * epoch, so a resumed run scores as the uninterrupted one did, and a scoring already committed is not redone.
 */
final class SetScoring {

  private static final Logger LOG = LogManager.getLogger(SetScoring.class);

  /** Samples per batch of the scoring tasks' loader. */
  private static final int CHUNK = 1024;

  private static final StructType FLAGS = new StructType()
      .add("sample_id", DataTypes.LongType, false)
      .add("class_index", DataTypes.IntegerType, false)
      .add("easy", DataTypes.BooleanType, false)
      .add("confidence", DataTypes.FloatType, true);

  private final SparkSession spark;
  private final TrainSettings settings;
  private final SampleTable samples;
  private final RunDirectory runDirectory;
  private final int classes;

  SetScoring(SparkSession spark, TrainSettings settings, SampleTable samples, RunDirectory runDirectory, int classes) {
    this.spark = spark;
    this.settings = settings;
    this.samples = samples;
    this.runDirectory = runDirectory;
    this.classes = classes;
  }

  /** Where rank 0 exports the model that scores after {@code epoch}. */
  static Path model(Path runDir, int epoch) {
    return runDir.resolve("set").resolve(String.format(Locale.ROOT, "epoch-%04d", epoch));
  }

  /**
   * The samples that sit out the epochs after {@code done}: those of the latest scoring at or before it, scored now
   * when {@code done} is a scoring epoch not scored yet.
   */
  SkipSet before(int done) {
    SetSettings set = settings.set();
    int last = done - done % set.interval();
    if (!set.enabled() || last == 0 || last >= settings.epochs()) { // nothing is trained after the last epoch
      return SkipSet.NONE;
    }
    if (!scored(last)) {
      score(last);
    }
    return skips(last);
  }

  private boolean scored(int epoch) {
    return Tables.exists(spark, Tables.SET_STATE) && ofRun().filter(col("epoch").equalTo(epoch)).limit(1).count() > 0;
  }

  /** This run's rows of set_state (the table exists). */
  private Dataset<Row> ofRun() {
    return spark.table(Tables.SET_STATE).filter(col("run").equalTo(settings.run()));
  }

  private void score(int epoch) {
    SetSettings set = settings.set();
    Path local = model(runDirectory.local(), epoch);
    String exported = "set/" + local.getFileName() + "/";
    runDirectory.pull(relative -> relative.startsWith(exported));
    if (!Files.isRegularFile(local.resolve("saved_model.pb"))) {
      throw Errors.state("train " + settings.run() + ": SET scores after epoch " + epoch + " but " + local + " holds no "
          + "model: that epoch was trained without train.set.enabled. Turn SET on from the start of a run (a new "
          + "train.run), or resume this one without it");
    }
    ModelInput model = ModelInput.read(local, settings.sampler().baseHeight(), settings.channels());
    if (!runDirectory.location().equals(runDirectory.local().toString())) {
      model = ModelInput.open(runDirectory.locate(local.toString()), settings.modelsDir(), "train.models-dir",
          settings.sampler().baseHeight(), settings.channels(), spark.sparkContext().hadoopConfiguration());
    }
    long start = System.nanoTime();
    Dataset<Row> rows = samples.rows("sample_id, class_index, image", List.of(settings.split()));
    Dataset<Row> flags = spark.createDataFrame(rows.javaRDD().mapPartitions(new Partition(model,
        new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()), settings, epoch, classes)), FLAGS);
    Dataset<Row> before = null;
    if (Tables.exists(spark, Tables.SET_STATE)) { // the run's latest scoring before this one (a changed interval too)
      Dataset<Row> earlier = ofRun().filter(col("epoch").lt(epoch));
      Row latest = earlier.agg(org.apache.spark.sql.functions.max("epoch")).first();
      if (!latest.isNullAt(0)) {
        before = earlier.filter(col("epoch").equalTo(latest.getInt(0)));
      }
    }
    Dataset<Row> state = state(flags, before, settings.run(), epoch, set);
    Tables.createIfMissing(spark, Tables.SET_STATE, Schemas.SET_STATE, "", Map.of("format-version", "2"));
    Tables.append(spark, state, Tables.SET_STATE, Schemas.SET_STATE, settings.run());
    Row summary = ofRun().filter(col("epoch").equalTo(epoch))
        .selectExpr("count(*)", "count_if(easy)", "count_if(skipped)").first();
    ModelExport.deleteIfPresent(local); // committed: this machine's copy is not needed any more
    LOG.info(String.format(Locale.ROOT, "train %s: SET after epoch %d: the %s model scored %,d training samples in "
        + "%.1f s: %,d easy, %,d sit out the next epochs (%s)", settings.run(), epoch,
        settings.optimizer().emaMomentum() > 0 ? "EMA" : "trained", summary.getLong(0), (System.nanoTime() - start) / 1e9,
        summary.getLong(1), summary.getLong(2), Tables.SET_STATE));
  }

  /**
   * The rows of set_state for one scoring: {@code flags} (sample_id, class_index, easy, confidence) against the
   * previous scoring's rows {@code before} (null or empty for the first): {@code counter = clip(previous + (easy ? 1 :
   * -1), 0, min-frequency)}, as {@link SetSettings#next}, and skipped when it is at the top.
   */
  static Dataset<Row> state(Dataset<Row> flags, Dataset<Row> before, String run, int epoch, SetSettings set) {
    Dataset<Row> joined = flags.withColumn("before", lit(0));
    if (before != null) {
      Dataset<Row> counters = before.select(col("sample_id").as("previous_id"), col("counter").as("previous"));
      joined = flags.join(counters, flags.col("sample_id").equalTo(counters.col("previous_id")), "left")
          .withColumn("before", coalesce(col("previous"), lit(0)));
    }
    Dataset<Row> counted = joined.withColumn("counter", least(greatest(col("before")
        .plus(when(col("easy"), lit(1)).otherwise(lit(-1))), lit(0)), lit(set.minFrequency())));
    return counted.select(lit(run).as("run"), lit(epoch).as("epoch"), col("sample_id"), col("class_index"),
        col("easy"), col("confidence"), col("counter"), col("counter").geq(set.minFrequency()).as("skipped"));
  }

  /** The skipped samples of the scoring after {@code epoch}, with their data files and row positions. */
  private SkipSet skips(int epoch) {
    Dataset<Row> skipped = ofRun().filter(col("epoch").equalTo(epoch).and(col("skipped"))).select("sample_id");
    Dataset<Row> where = samples.rows("sample_id, _file, _pos", List.of(settings.split()));
    List<Row> rows = skipped.join(where, "sample_id").collectAsList();
    long[] ids = new long[rows.size()];
    Map<String, List<Long>> byFile = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      ids[i] = r.getLong(0);
      byFile.computeIfAbsent(r.getString(1), f -> new ArrayList<>()).add(r.getLong(2));
    }
    Map<String, long[]> positions = new HashMap<>();
    byFile.forEach((file, list) -> positions.put(file, list.stream().mapToLong(Long::longValue).toArray()));
    return new SkipSet(epoch, ids, positions);
  }

  /**
   * One scoring task: the training view of each sample (the crop and flip of the scoring epoch, as a function of
   * (seed, epoch, sample id), at the base size), batched through the executor's copy of the model. A sample that does
   * not decode is not easy.
   */
  private static final class Partition implements FlatMapFunction<Iterator<Row>, Row> {
    private final ModelInput model;
    private final SerializableConfiguration conf;
    private final TrainSettings settings;
    private final int epoch;
    private final int classes;

    Partition(ModelInput model, SerializableConfiguration conf, TrainSettings settings, int epoch, int classes) {
      this.model = model;
      this.conf = conf;
      this.settings = settings;
      this.epoch = epoch;
      this.classes = classes;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      ModelInput here = model.onThisMachine(conf.value());
      List<Row> out = new ArrayList<>();
      // a model of its own, closed after: every scoring has a new one, and a shared one would stay for good
      try (Predictor predictor = Engines.savedModel(here.directory())) {
        score(rows, predictor, here, out);
      }
      return out.iterator();
    }

    private void score(Iterator<Row> rows, Predictor predictor, ModelInput here, List<Row> out) {
      while (rows.hasNext()) {
        InMemorySamples chunk = new InMemorySamples();
        while (rows.hasNext() && chunk.size() < CHUNK) {
          Row r = rows.next();
          if (r.isNullAt(1)) {
            throw Errors.setting("train.split", "sample_id " + r.getLong(0) + " has no class_index: SET scores "
                + "labelled samples only");
          }
          chunk.add(r.getLong(0), r.getInt(1), (byte[]) r.get(2));
        }
        score(chunk, predictor, here, out);
      }
    }

    private void score(InMemorySamples chunk, Predictor predictor, ModelInput in, List<Row> out) {
      int batch = settings.sampler().batchSize();
      List<BatchPlan> plans = new ArrayList<>();
      for (int i = 0; i < chunk.size(); i += batch) {
        int first = i;
        int[] indices = new int[Math.min(batch, chunk.size() - i)];
        Arrays.setAll(indices, k -> first + k);
        plans.add(new BatchPlan(in.height(), in.width(), indices));
      }
      Map<Long, Float> confidence = new HashMap<>();
      Map<Long, Boolean> easy = new HashMap<>();
      try (BatchLoader loader = BatchLoader.builder(plans, chunk).view(View.TRAIN)
          .augmentation(settings.crop(), settings.erasing()).normalisation(in.mean(), in.std())
          .seed(settings.seed(), epoch).threads(1, 2).warnings(LOG::warn).build()) {
        while (loader.hasNext()) {
          LoadedBatch b = loader.next();
          int n = b.images().count();
          if (n == 0) {
            continue;
          }
          float[] logits = predictor.predict(b.images());
          for (int i = 0; i < n; i++) {
            int best = 0;
            int at = i * classes;
            for (int c = 1; c < classes; c++) {
              if (logits[at + c] > logits[at + best]) {
                best = c;
              }
            }
            float top = (float) Math.exp(logits[at + best] - Softmax.logSumExp(logits, at, classes));
            confidence.put(b.sampleIds()[i], top);
            easy.put(b.sampleIds()[i], best == b.labels()[i] && top >= settings.set().confidence());
          }
        }
      }
      for (int i = 0; i < chunk.size(); i++) {
        long id = chunk.sampleId(i);
        out.add(RowFactory.create(id, chunk.label(i), easy.getOrDefault(id, false), confidence.get(id)));
      }
    }
  }
}
