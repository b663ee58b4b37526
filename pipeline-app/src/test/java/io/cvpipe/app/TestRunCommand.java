package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.image.SyntheticImages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThat(Main.run(all.toArray(String[]::new))).isZero();
    } finally {
      System.setOut(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
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
        run {
          name = tiny
          stages = [
        %s
          ]
        }
        """.formatted(tmp.resolve("models"), stages));
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
    String out = run(conf);

    assertThat(plan).contains("run tiny: 3 stages").contains("1 ingest    runs").contains("3 eval      runs");
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

    String again = run(conf);
    assertThat(again).contains("stage 1/3 (ingest) done") // incremental: nothing new, nothing committed
        .contains("stage 2/3 (train) skipped: settings and inputs as its last successful run recorded them")
        .contains("stage 3/3 (eval) skipped");
    assertThat(run(conf, "--set", "run.from=3")).contains("stage 1/3 (ingest) skipped: before run.from = 3")
        .contains("stage 3/3 (eval) skipped");
    String lineage = notebook(Path.of("..", "notebooks", "lineage.sql"), "--set", "train.run=first");
    assertThat(lineage).contains("source " + layout.root()).contains("/first/best#");
    long samplesCommits = Long.parseLong(lastLine(runSql("SELECT count(*) FROM cvpipe.shapes.samples.snapshots")));
    assertThat(samplesCommits).as("the second ingest committed nothing").isEqualTo(1);
    assertThat(runSql("SELECT stage, status FROM cvpipe.runs.stages ORDER BY finished_at, stage_index"))
        .contains("train", "succeeded", "skipped");
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
        .hasMessageContaining("run tiny, stage 1: unknown stage 'ingset'. Expected one of: ingest, train, reinforce, eval");
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
