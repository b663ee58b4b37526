package io.cvpipe.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.eval.EvalJob;
import io.cvpipe.eval.EvalSettings;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.reinforce.ReinforceJob;
import io.cvpipe.reinforce.ReinforceSettings;
import io.cvpipe.train.EpochMetrics;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import com.typesafe.config.ConfigRenderOptions;
import io.cvpipe.common.table.Tables;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.stream.Collectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.iceberg.spark.CommitMetadata;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cvpipe run}: the stages a configuration lists under {@code run.stages}, in order, each with its own
 * {@code set} block laid over the common settings. Every stage's settings are read and checked before Spark
 * starts, so a misspelt kind or key stops the job at once, naming the stage. A failed stage stops the job (exit 1,
 * the stage named); {@code run.from} starts a later run at it.
 *
 * <p>Each execution is a row of {@code cvpipe.runs.stages}: the settings' hash, what the stage read and wrote
 * (tables as name@snapshot, models as path#fingerprint of their model.json), its status. A train, reinforce or
 * eval stage whose settings and inputs are what its last successful execution recorded, and whose outputs are
 * still there, is skipped with a line saying so; ingest always runs (it is incremental: with no new files it
 * commits nothing). Every snapshot a stage commits carries the pipeline run id and the stage in its summary, and a
 * finished run tags the snapshots its stages wrote ({@code <run.name>-<UTC date>}). Not yet here: OpenLineage
 * events, the demo as a pipeline config.
 */
final class Pipeline {

  /** The stage kinds, each turning its settings into the job that runs it (checked before Spark starts). */
  private static final List<String> KINDS = List.of("ingest", "train", "reinforce", "eval");

  /**
   * One stage, its settings checked: {@code job} runs it and returns its summary line; {@code inputs} and
   * {@code outputs} describe what it reads and writes as they are now; {@code skippable}: whether unchanged
   * inputs mean nothing to do.
   */
  record Step(int index, String kind, String settingsHash, Function<SparkSession, String> job,
      Function<SparkSession, String> inputs, Function<SparkSession, String> outputs, boolean skippable) {}

  private final String name;
  private final List<Step> steps;
  private final int from;

  private Pipeline(String name, List<Step> steps, int from) {
    this.name = name;
    this.steps = steps;
    this.from = from;
  }

  static Pipeline from(Settings settings) {
    String name = settings.string("run.name", "nightly");
    List<? extends Config> listed;
    try {
      listed = settings.config().getConfigList("run.stages");
    } catch (ConfigException e) {
      throw Errors.setting("run.stages", "expected a list of { stage = KIND, set { key = value, ... } }: "
          + e.getMessage());
    }
    if (listed.isEmpty()) {
      throw Errors.setting("run.stages", "is empty: list the stages to run, e.g. run.stages = [ { stage = ingest, "
          + "set { ingest.source = \"/data/images\" } }, { stage = train, set { train.run = first } } ]");
    }
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < listed.size(); i++) {
      steps.add(step(name, i + 1, listed.get(i), settings));
    }
    int from = settings.intIn("run.from", 1, Math.max(1, steps.size()));
    return new Pipeline(name, steps, from);
  }

  private static Step step(String run, int index, Config listed, Settings common) {
    String where = "run " + run + ", stage " + index;
    for (String key : listed.root().keySet()) {
      if (!Set.of("stage", "set").contains(key)) {
        throw Errors.usage(where + ": unknown entry '" + key + "'. A stage has: stage, set");
      }
    }
    if (!listed.hasPath("stage")) {
      throw Errors.usage(where + ": no 'stage'. Expected one of: " + String.join(", ", KINDS));
    }
    String kind = listed.getString("stage");
    if (!KINDS.contains(kind)) {
      throw Errors.usage(where + ": unknown stage '" + kind + "'. Expected one of: " + String.join(", ", KINDS));
    }
    String label = where + " (" + kind + ")";
    Config set = listed.hasPath("set") ? listed.getConfig("set") : ConfigFactory.empty();
    try {
      Settings s = common.with(set, label + ", set");
      String hash = Lineage.hash(s.config().withoutPath("run").withoutPath("spark").root()
          .render(ConfigRenderOptions.concise()));
      String samples = Tables.samples(s.string("dataset", "imagenet"));
      return switch (kind) {
        case "ingest" -> {
          IngestSettings ingest = IngestSettings.from(s);
          yield new Step(index, kind, hash, spark -> new IngestJob(spark, ingest).run().summary(),
              spark -> "source " + s.config().getString("ingest.source"), spark -> Lineage.table(spark, samples), false);
        }
        case "train" -> {
          TrainSettings train = TrainSettings.from(s);
          String model = Path.of(train.modelsDir(), train.run(), "best").toString();
          yield new Step(index, kind, hash, spark -> {
            List<EpochMetrics> epochs = new TrainJob(spark, train).run();
            EpochMetrics last = epochs.get(epochs.size() - 1);
            return String.format(Locale.ROOT, "train %s: %d epochs, last: loss %.4f%s", train.run(), epochs.size(),
                last.trainLoss(), last.top1() == null ? "" : String.format(Locale.ROOT, ", top-1 %.4f", last.top1()));
          }, spark -> Lineage.table(spark, samples) + (train.reinforced()
              ? ", " + Lineage.table(spark, Tables.reinforced(train.dataset())) : ""),
              spark -> Lineage.model(model), true);
        }
        case "reinforce" -> {
          ReinforceSettings reinforce = ReinforceSettings.from(s);
          yield new Step(index, kind, hash, spark -> new ReinforceJob(spark, reinforce).run().summary(),
              spark -> Lineage.table(spark, samples) + reinforce.teachers().stream()
                  .map(t -> ", " + Lineage.model(Path.of(t).isAbsolute() ? t : Path.of(reinforce.modelsDir(), t, "best")
                      .toString())).collect(Collectors.joining()),
              spark -> Lineage.table(spark, Tables.reinforced(reinforce.dataset())), true);
        }
        default -> {
          EvalSettings eval = EvalSettings.from(s);
          String model = Path.of(eval.model()).isAbsolute() ? eval.model()
              : Path.of(eval.modelsDir(), eval.model(), "best").toString();
          yield new Step(index, kind, hash, spark -> new EvalJob(spark, eval).run().summary(),
              spark -> Lineage.table(spark, samples) + ", " + Lineage.model(model),
              spark -> Lineage.table(spark, Tables.EVAL_METRICS), true);
        }
      };
    } catch (CvpipeException e) {
      if (e.getMessage().startsWith(label)) {
        throw e;
      }
      throw Errors.usage(label + ": " + e.getMessage());
    }
  }

  /** What a run would do, without Spark. */
  void plan(PrintStream out) {
    out.printf(Locale.ROOT, "run %s: %d stages%s%n", name, steps.size(), from > 1 ? ", from stage " + from : "");
    for (Step step : steps) {
      out.printf(Locale.ROOT, "  %d %-9s %s%n", step.index(), step.kind(), step.index() < from
          ? "skipped (before run.from)" : "runs");
    }
  }

  int run(SparkSession spark, PrintStream out) {
    Lineage lineage = new Lineage(spark, name);
    out.printf(Locale.ROOT, "run %s: run id %s%n", name, lineage.runId());
    for (Step step : steps) {
      String where = String.format(Locale.ROOT, "run %s: stage %d/%d (%s)", name, step.index(), steps.size(),
          step.kind());
      if (step.index() < from) {
        out.printf(Locale.ROOT, "%s skipped: before run.from = %d%n", where, from);
        continue;
      }
      Timestamp started = Timestamp.from(Instant.now());
      String inputs = step.inputs().apply(spark);
      String outputs = step.skippable() ? step.outputs().apply(spark) : null;
      if (outputs != null && lineage.unchanged(step, inputs, outputs)) {
        String why = "settings and inputs as its last successful run recorded them, outputs still there";
        lineage.record(step, inputs, outputs, "skipped", why, started);
        out.printf(Locale.ROOT, "%s skipped: %s%n", where, why);
        continue;
      }
      out.printf(Locale.ROOT, "%s starts%n", where);
      long start = System.nanoTime();
      String summary;
      try {
        // every snapshot the stage commits names the pipeline run and the stage in its summary
        summary = CommitMetadata.withCommitProperties(Map.of("cvpipe.pipeline-run-id", lineage.runId(),
            "cvpipe.pipeline-stage", step.index() + " " + step.kind()), () -> step.job().apply(spark),
            RuntimeException.class);
      } catch (RuntimeException e) {
        e.printStackTrace(System.err);
        String message = Main.describe(e);
        lineage.record(step, inputs, step.outputs().apply(spark), "failed", message, started);
        throw Errors.state(where + " failed: " + message + ". Fix it, then run again from it with --set run.from="
            + step.index());
      }
      lineage.record(step, inputs, step.outputs().apply(spark), "succeeded", summary, started);
      out.println(summary);
      out.printf(Locale.ROOT, "%s done in %.0f s%n", where, (System.nanoTime() - start) / 1e9);
    }
    String tag = lineage.tagOutputs();
    out.printf(Locale.ROOT, "run %s: all %d stages done; lineage in %s (run_id = '%s'); its tables tagged '%s' "
        + "(read them with VERSION AS OF '%s')%n", name, steps.size(), Tables.STAGES, lineage.runId(), tag, tag);
    return 0;
  }
}
