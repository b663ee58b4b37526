package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.image.SyntheticImages;
import io.openlineage.client.OpenLineage;
import io.openlineage.client.OpenLineageClientUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cvpipe run}: a pipeline config's stages, in order, each with its own settings; checked before Spark. */
class TestRunCommand {

  @TempDir
  Path tmp;

  /** A cvpipe command on this test's warehouse, as a user runs it; its standard output. */
  private String cvpipe(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--set", "warehouse=" + tmp.resolve("warehouse"), "--set", "spark.master=local[2]", "--set",
        "spark.ui=false"));
    return CliOutput.of(all);
  }

  private String run(Path conf, String... extra) {
    List<String> args = new ArrayList<>(List.of("run", "--conf", conf.toString()));
    args.addAll(List.of(extra));
    return cvpipe(args);
  }

  private String notebook(Path file, String... extra) {
    List<String> args = new ArrayList<>(List.of("sql", "-f", file.toString()));
    args.addAll(List.of(extra));
    return cvpipe(args);
  }

  private static String lastLine(String text) {
    return text.trim().lines().reduce((x, y) -> y).orElseThrow().trim();
  }

  private String runSql(String query) {
    return cvpipe(List.of("sql", "-e", query, "--format", "csv"));
  }

  private Path pipeline(String stages) throws Exception {
    Path conf = tmp.resolve("pipeline-" + System.nanoTime() + ".conf");
    Files.writeString(conf, """
        dataset = shapes
        train {
          model = resnet18
          width = 0.0625
          stem-stride = 1
          stem-pool = false
          epochs = 1
          sampler.kind = ssc-fbs
          sampler.crop-size = 24
          sampler.batch-size = 8
          models-dir = "%s"
          device = cpu
        }
        ingest.progress-interval = 0s
        eval.reports-dir = "%s"
        run {
          name = tiny
          openlineage.file = "%s"
          stages = [
        %s
          ]
        }
        """.formatted(tmp.resolve("models"), tmp.resolve("reports"), tmp.resolve("openlineage.jsonl"), stages));
    return conf;
  }

  @Test
  void runsTheListedStagesInOrderEachWithItsOwnSettings() throws Exception {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 3, 12, 4, 32, 32, false, 5);
    Path conf = pipeline("""
            { stage = ingest, set { ingest.source = "%s" } }
            { stage = train, set { train.run = first } }
            { stage = eval, set { eval.model = first, eval.split = val } }
        """.formatted(layout.root()));

    String plan = run(conf, "--dry-run");
    assertThat(tmp.resolve("warehouse/runs/stages")).as("a dry run writes nothing").doesNotExist();
    assertThat(tmp.resolve("models")).as("a dry run writes nothing").doesNotExist();
    String out = run(conf);

    assertThat(plan).contains("run tiny: 3 stages", "1 ingest    runs: it reads files outside the warehouse, and is incremental itself",
        "2 train     runs: its outputs are not there yet (" + tmp.resolve("models/first/best") + ")",
        "3 eval      runs: its outputs are not there yet (cvpipe.runs.eval_metrics)");
    assertThat(out).contains("run tiny: stage 1/3 (ingest) starts", "run tiny: stage 2/3 (train) done",
        "train first: 1 epochs", "run tiny: stage 3/3 (eval) done", "run tiny: all 3 stages done");
    assertThat(out.indexOf("stage 1/3 (ingest) done")).isLessThan(out.indexOf("stage 2/3 (train) starts"));
    assertThat(tmp.resolve("models/first/best/saved_model.pb")).exists();
    java.util.regex.Matcher tagged = java.util.regex.Pattern.compile("its tables tagged '(tiny-[0-9-]+)'").matcher(out);
    assertThat(tagged.find()).as(out).isTrue();
    assertThat(lastLine(runSql("SELECT count(*) FROM cvpipe.shapes.samples VERSION AS OF '" + tagged.group(1) + "'")))
        .isEqualTo(String.valueOf(layout.accepted()));
    assertThat(runSql("SELECT summary['cvpipe.pipeline-run-id'], summary['cvpipe.pipeline-stage'] "
        + "FROM cvpipe.shapes.samples.snapshots")).contains("tiny-").contains("1 ingest");
    assertThat(runSql("SELECT summary['cvpipe.pipeline-stage'] FROM cvpipe.runs.train_metrics.snapshots"))
        .contains("2 train");

    assertThat(run(conf, "--dry-run")).contains("2 train     skipped unless stage 1 (ingest) changes what it reads",
        "3 eval      skipped unless stage 2 (train) changes what it reads");
    String again = run(conf);
    assertThat(again).contains("stage 1/3 (ingest) done") // incremental: nothing new, nothing committed
        .contains("stage 2/3 (train) skipped: settings and inputs as its last successful run recorded them")
        .contains("stage 3/3 (eval) skipped");
    assertThat(run(conf, "--set", "run.from=3")).contains("stage 1/3 (ingest) skipped: before run.from = 3")
        .contains("stage 3/3 (eval) skipped");
    String lineage = notebook(Path.of("..", "notebooks", "lineage.sql"), "--set", "train.run=first");
    assertThat(lineage).contains("files " + layout.root()).contains("/first/best#");
    long samplesCommits = Long.parseLong(lastLine(runSql("SELECT count(*) FROM cvpipe.shapes.samples.snapshots")));
    assertThat(samplesCommits).as("the second ingest committed nothing").isEqualTo(1);
    assertThat(runSql("SELECT stage, status FROM cvpipe.runs.stages ORDER BY finished_at, stage_index"))
        .contains("train", "succeeded", "skipped");
    assertThat(lastLine(runSql("SELECT CAST(figures['rows_written'] AS BIGINT) FROM cvpipe.runs.stages "
        + "WHERE stage = 'ingest' ORDER BY finished_at LIMIT 1"))).isEqualTo(String.valueOf(layout.accepted()));
    assertThat(lastLine(runSql("SELECT figures['top1'] BETWEEN 0 AND 1, figures['images'] FROM cvpipe.runs.stages "
        + "WHERE stage = 'eval' AND status = 'succeeded'"))).isEqualTo("true,12");

    // OpenLineage: every event parses; the first run's stages name what they read and wrote, with versions
    List<OpenLineage.RunEvent> events = Files.readAllLines(tmp.resolve("openlineage.jsonl")).stream()
        .map(OpenLineageClientUtils::runEventFromJson).toList();
    OpenLineage.RunEvent ingest = completed(events, "tiny.1-ingest").get(0);
    OpenLineage.RunEvent train = completed(events, "tiny.2-train").get(0);
    OpenLineage.RunEvent eval = completed(events, "tiny.3-eval").get(0);
    String samplesVersion = ingest.getOutputs().stream().filter(d -> d.getName().equals("cvpipe.shapes.samples"))
        .findFirst().orElseThrow().getFacets().getVersion().getDatasetVersion();
    assertThat(samplesVersion).matches("\\d+");
    assertThat(ingest.getInputs()).extracting(OpenLineage.InputDataset::getName)
        .containsExactly(layout.root().toString());
    assertThat(train.getInputs()).extracting(d -> d.getName() + "@" + d.getFacets().getVersion().getDatasetVersion())
        .containsExactly("cvpipe.shapes.samples@" + samplesVersion);
    assertThat(train.getInputs().get(0).getNamespace()).isEqualTo("file://" + tmp.resolve("warehouse"));
    assertThat(train.getOutputs()).extracting(OpenLineage.OutputDataset::getName)
        .containsExactly(tmp.resolve("models/first/best").toString());
    assertThat(eval.getInputs()).extracting(OpenLineage.InputDataset::getName)
        .containsExactly("cvpipe.shapes.samples", tmp.resolve("models/first/best").toString());
    assertThat(train.getRun().getFacets().getParent().getJob().getName()).isEqualTo("tiny");
    assertThat(events).filteredOn(e -> e.getJob().getName().equals("tiny.2-train")).hasSize(2); // skipped after
    assertThat(events).filteredOn(e -> e.getJob().getName().equals("tiny"))
        .extracting(e -> e.getEventType().name()).containsSequence("START", "COMPLETE");
  }

  private static List<OpenLineage.RunEvent> completed(List<OpenLineage.RunEvent> events, String job) {
    return events.stream().filter(e -> e.getJob().getName().equals(job)
        && e.getEventType() == OpenLineage.RunEvent.EventType.COMPLETE).toList();
  }

  @Test
  void aStageThatFailsStopsTheRunAndTheNextRunStartsFromIt() throws Exception {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 3, 12, 0, 32, 32, false, 7);
    String stages = """
            { stage = ingest, set { ingest.source = "%s" } }
            { stage = train, set { train.run = half, train.val-split = "" } }
            { stage = eval, set { eval.model = half, eval.split = %s } }
        """;
    Path broken = pipeline(stages.formatted(layout.root(), "val"));

    assertThatThrownBy(() -> run(broken))
        .hasMessageContaining("run tiny: stage 3/3 (eval) failed: eval.split: 'val' has no rows in cvpipe.shapes.samples")
        .hasMessageContaining("Splits there: [train]").hasMessageContaining("--set run.from=3");
    assertThat(tmp.resolve("models/half/best/saved_model.pb")).as("stage 2 finished before 3 failed").exists();
    assertThat(runSql("SELECT stage_index, status FROM cvpipe.runs.stages ORDER BY stage_index"))
        .contains("1,succeeded", "2,succeeded", "3,failed");

    Path fixed = pipeline(stages.formatted(layout.root(), "train"));
    assertThat(run(fixed, "--dry-run")).contains("2 train     skipped unless stage 1 (ingest) changes what it reads",
        "3 eval      runs: its outputs are not there yet");
    String again = run(fixed);
    assertThat(again).contains("stage 2/3 (train) skipped: settings and inputs as its last successful run")
        .contains("stage 3/3 (eval) starts", "eval half: " + layout.accepted() + " images", "all 3 stages done");
    List<OpenLineage.RunEvent> events = Files.readAllLines(tmp.resolve("openlineage.jsonl")).stream()
        .map(OpenLineageClientUtils::runEventFromJson).toList();
    assertThat(events).filteredOn(e -> e.getEventType() == OpenLineage.RunEvent.EventType.FAIL)
        .extracting(e -> e.getJob().getName() + ": " + e.getRun().getFacets().getErrorMessage().getMessage())
        .anyMatch(m -> m.startsWith("tiny.3-eval: eval.split: 'val' has no rows"))
        .anyMatch(m -> m.startsWith("tiny: eval.split: 'val' has no rows") || m.startsWith("tiny: run tiny: stage 3/3"));
  }

  @Test
  void aMisspeltStageOrKeyStopsTheJobBeforeSparkStartsNamingTheStage() throws Exception {
    Path kind = pipeline("{ stage = ingset, set { ingest.source = /tmp } }");
    Path key = pipeline("""
            { stage = ingest, set { ingest.source = /tmp } }
            { stage = train, set { train.run = x, train.epoks = 3 } }
        """);
    Path value = pipeline("{ stage = train, set { train.run = x, train.model = vit } }");
    Path failing = pipeline("{ stage = train, set { train.run = nothing-to-train-on } }");

    assertThatThrownBy(() -> run(kind)).isInstanceOf(CvpipeException.class)
        .hasMessageContaining("run tiny, stage 1: unknown stage 'ingset'. Expected one of: eval, ingest, reinforce, shift, sql, train");
    assertThatThrownBy(() -> run(key))
        .hasMessageContaining("run tiny, stage 2 (train), set: train.epoks: unknown setting")
        .matches(e -> ((CvpipeException) e).exitCode() == 2, "exit 2");
    assertThatThrownBy(() -> run(value))
        .hasMessageContaining("run tiny, stage 1 (train): train.model: unknown value 'vit'");
    assertThatThrownBy(() -> run(failing))
        .hasMessageContaining("run tiny: stage 1/1 (train) failed: cvpipe.shapes.samples does not exist")
        .hasMessageContaining("--set run.from=1")
        .matches(e -> ((CvpipeException) e).exitCode() == 1, "exit 1");
  }
}
