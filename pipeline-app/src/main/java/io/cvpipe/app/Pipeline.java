package io.cvpipe.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.stage.DataRef;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import io.cvpipe.common.stage.StageResult;
import io.cvpipe.common.stage.Versions;
import io.cvpipe.common.table.Tables;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.transports.Transport;
import java.io.PrintStream;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.iceberg.spark.CommitMetadata;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cvpipe run}: the stages a configuration lists under {@code run.stages}, in order, each with its own
 * {@code set} block laid over the common settings. Every stage's settings are read and checked before Spark
 * starts, so a misspelt kind or key stops the job at once, naming the stage. A failed stage stops the job (exit 1,
 * the stage named); {@code run.from} starts a later run at it. The pipeline knows stages only as {@link Stage}s
 * made by the {@link StageKind}s on the class path.
 *
 * <p>Each execution is a row of {@code cvpipe.runs.stages}: the settings' hash, what the stage read and wrote
 * (tables as name@snapshot, models as path#fingerprint of their model.json), its status and figures. A stage
 * whose settings and inputs are what its last successful execution recorded, and whose outputs are still there,
 * is skipped with a line saying so, unless it reads from outside the warehouse (ingest: it is incremental itself,
 * and with no new files commits nothing). Every snapshot a stage commits carries the pipeline run id and the stage
 * in its summary, and a finished run tags the snapshots its stages wrote ({@code <run.name>-<UTC date>}).
 */
final class Pipeline {

  private static final Logger LOG = LogManager.getLogger(Pipeline.class);

  /** One stage of the list, its settings checked. */
  record Step(int index, String kind, String settingsHash, Stage stage) {}

  private final String name;
  private final List<Step> steps;
  private final int from;
  private final Settings settings;
  private final Transport events;

  private Pipeline(String name, List<Step> steps, int from, Settings settings, Transport events) {
    this.name = name;
    this.steps = steps;
    this.from = from;
    this.settings = settings;
    this.events = events;
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
    return new Pipeline(name, steps, from, settings, LineageEvents.transport(settings));
  }

  private static Step step(String run, int index, Config listed, Settings common) {
    String where = "run " + run + ", stage " + index;
    for (String key : listed.root().keySet()) {
      if (!Set.of("stage", "set").contains(key)) {
        throw Errors.usage(where + ": unknown entry '" + key + "'. A stage has: stage, set");
      }
    }
    if (!listed.hasPath("stage")) {
      throw Errors.usage(where + ": no 'stage'. Expected one of: " + String.join(", ", StageKind.installed().keySet()));
    }
    StageKind kind = StageKind.named(listed.getString("stage"), where);
    String label = where + " (" + kind.name() + ")";
    Config set = listed.hasPath("set") ? listed.getConfig("set") : ConfigFactory.empty();
    try {
      Settings s = common.with(set, label + ", set");
      String hash = Versions.hash(s.config().withoutPath("run").withoutPath("spark").root()
          .render(ConfigRenderOptions.concise()));
      return new Step(index, kind.name(), hash, kind.create(s));
    } catch (CvpipeException e) {
      if (e.getMessage().startsWith(label)) {
        throw e;
      }
      throw Errors.usage(label + ": " + e.getMessage());
    }
  }

  /**
   * What a run would do now, and why, without running or committing anything: each stage's inputs and outputs
   * against what its last successful execution recorded. A stage whose inputs an earlier stage that runs may
   * change is said to depend on it.
   */
  void plan(SparkSession spark, PrintStream out) {
    out.printf(Locale.ROOT, "run %s: %d stages%s%n", name, steps.size(), from > 1 ? ", from stage " + from : "");
    Lineage lineage = new Lineage(spark, name);
    // the stages that run or may run, in order, with the names of what they write
    Map<Step, Set<String>> running = new LinkedHashMap<>();
    for (Step step : steps) {
      String what;
      if (step.index() < from) {
        what = "skipped: before run.from = " + from;
      } else if (step.stage().alwaysRuns().isPresent()) {
        what = "runs: " + step.stage().alwaysRuns().get();
        running.put(step, names(step.stage().outputs(spark)));
      } else {
        List<DataRef> inputs = step.stage().inputs(spark);
        List<DataRef> outputs = step.stage().outputs(spark);
        String reason = lineage.reasonToRun(step, inputs, outputs);
        Step upstream = null;
        for (Map.Entry<Step, Set<String>> earlier : running.entrySet()) {
          if (inputs.stream().anyMatch(input -> earlier.getValue().contains(input.name()))) {
            upstream = earlier.getKey();
          }
        }
        if (reason != null) {
          what = "runs: " + reason;
          running.put(step, names(outputs));
        } else if (upstream != null) {
          what = "skipped unless stage " + upstream.index() + " (" + upstream.kind() + ") changes what it reads, "
              + "as its last successful run recorded it";
          running.put(step, names(outputs));
        } else {
          what = "skipped: settings and inputs as its last successful run recorded them, outputs still there";
        }
      }
      out.printf(Locale.ROOT, "  %d %-9s %s%n", step.index(), step.kind(), what);
    }
  }

  private static Set<String> names(List<DataRef> refs) {
    return refs.stream().map(DataRef::name).collect(Collectors.toSet());
  }

  int run(SparkSession spark, PrintStream out) {
    Lineage lineage = new Lineage(spark, name);
    out.printf(Locale.ROOT, "run %s: run id %s%n", name, lineage.runId());
    try (LineageEvents openLineage = LineageEvents.open(events, settings, name, lineage.runId())) {
      openLineage.pipeline(OpenLineage.RunEvent.EventType.START, null);
      try {
        runSteps(spark, out, lineage, openLineage);
      } catch (RuntimeException e) {
        openLineage.pipeline(OpenLineage.RunEvent.EventType.FAIL, Main.describe(e));
        throw e;
      }
      openLineage.pipeline(OpenLineage.RunEvent.EventType.COMPLETE, null);
    }
    String tag = lineage.tagOutputs();
    out.printf(Locale.ROOT, "run %s: all %d stages done; lineage in %s (run_id = '%s'); its tables tagged '%s' "
        + "(read them with VERSION AS OF '%s')%n", name, steps.size(), Tables.STAGES, lineage.runId(), tag, tag);
    return 0;
  }

  private void runSteps(SparkSession spark, PrintStream out, Lineage lineage, LineageEvents openLineage) {
    for (Step step : steps) {
      String where = String.format(Locale.ROOT, "run %s: stage %d/%d (%s)", name, step.index(), steps.size(),
          step.kind());
      if (step.index() < from) {
        out.printf(Locale.ROOT, "%s skipped: before run.from = %d%n", where, from);
        continue;
      }
      Timestamp started = Timestamp.from(Instant.now());
      List<DataRef> inputs = step.stage().inputs(spark);
      String reason = step.stage().alwaysRuns().orElse(null);
      if (reason == null) {
        List<DataRef> outputs = step.stage().outputs(spark);
        reason = lineage.reasonToRun(step, inputs, outputs);
        if (reason == null) {
          String why = "settings and inputs as its last successful run recorded them, outputs still there";
          lineage.record(step, inputs, outputs, "skipped", why, Map.of(), started);
          out.printf(Locale.ROOT, "%s skipped: %s%n", where, why);
          continue;
        }
      }
      out.printf(Locale.ROOT, "%s starts: %s%n", where, reason);
      openLineage.start(step, inputs);
      long start = System.nanoTime();
      StageResult result;
      try {
        // every snapshot the stage commits names the pipeline run and the stage in its summary
        result = CommitMetadata.withCommitProperties(Map.of("cvpipe.pipeline-run-id", lineage.runId(),
            "cvpipe.pipeline-stage", step.index() + " " + step.kind()), () -> step.stage().run(spark),
            RuntimeException.class);
      } catch (RuntimeException e) {
        LOG.error(where + " failed", e);
        String message = Main.describe(e);
        List<DataRef> after = step.stage().outputs(spark);
        lineage.record(step, inputs, after, "failed", message, Map.of(), started);
        openLineage.fail(step, inputs, after, message);
        throw Errors.state(where + " failed: " + message + ". Fix it, then run again from it with --set run.from="
            + step.index());
      }
      List<DataRef> written = step.stage().outputs(spark);
      lineage.record(step, inputs, written, "succeeded", result.summary(), result.figures(), started);
      openLineage.complete(step, inputs, written);
      out.println(result.summary());
      out.printf(Locale.ROOT, "%s done in %.0f s%n", where, (System.nanoTime() - start) / 1e9);
    }
  }
}
