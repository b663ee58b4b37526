package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.testing.TestSpark;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.train.EpochMetrics;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training run killed (SIGKILL, separate JVM) after two of four epochs, resumed, equals an uninterrupted run;
 * resumed as a different network, it is refused.
 */
class TestResumedTraining {

  @TempDir
  Path tmp;

  private List<String> trainSets(String run) {
    return List.of("dataset=shapes", "train.run=" + run, "train.model=resnet18", "train.width=0.125",
        "train.stem-stride=1", "train.stem-pool=false", "train.epochs=4", "train.sampler.kind=msc-vbs",
        "train.sampler.crop-size=32", "train.sampler.batch-size=16", "train.sampler.min-crop-size=24",
        "train.sampler.max-crop-size=40", "train.sampler.scales=3", "train.sampler.divisor=8", "train.lr.max=0.05",
        "train.lr.min=0.001", "train.lr.warmup-init=0.01", "train.lr.warmup-iterations=10", "train.device=cpu",
        "train.models-dir=" + tmp.resolve("models"), "train.log-every=100", "warehouse=" + tmp.resolve("warehouse"));
  }

  @Test
  void aKilledRunResumesToTheSameResult() throws Exception {
    SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(tmp.resolve("src"), 4, 40, 10, 40, 40, false, 3);
    SparkSession spark = TestSpark.start(tmp.resolve("warehouse"));
    List<EpochMetrics> uninterrupted;
    try {
      new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=shapes",
          "ingest.source=" + layout.root(), "ingest.progress-interval=0s")))).run();
      uninterrupted = new TrainJob(spark, TrainSettings.from(Settings.load(null, trainSets("whole")))).run();
    } finally {
      spark.stop();
    }

    Process process = launch(trainSets("killed"));
    TestProcesses.Killed killed = TestProcesses.killOnLine(process, Pattern.compile("train killed: epoch 2/4 done"),
        Duration.ofMinutes(10));
    assertThat(killed.matched()).as("the run was killed after epoch 2:%n%s", killed.output()).isTrue();

    spark = TestSpark.start(tmp.resolve("warehouse"));
    try {
      List<String> resume = new ArrayList<>(trainSets("killed"));
      resume.add("train.resume=true");
      List<EpochMetrics> resumed = new TrainJob(spark, TrainSettings.from(Settings.load(null, resume))).run();

      assertThat(resumed).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3, 4);
      for (int e = 0; e < 4; e++) {
        assertThat(resumed.get(e).trainLoss()).as("train loss of epoch " + (e + 1))
            .isEqualTo(uninterrupted.get(e).trainLoss());
        assertThat(resumed.get(e).valLoss()).as("validation loss of epoch " + (e + 1))
            .isEqualTo(uninterrupted.get(e).valLoss());
        assertThat(resumed.get(e).emaValLoss()).as("EMA model's validation loss of epoch " + (e + 1))
            .isEqualTo(uninterrupted.get(e).emaValLoss());
      }
      assertThat(spark.sql("SELECT epoch FROM cvpipe.runs.train_metrics WHERE run = 'killed' ORDER BY epoch")
          .collectAsList()).extracting(r -> r.getInt(0)).containsExactly(1, 2, 3, 4);

      // the output stride changes no variable's shape: only the recorded layout stops a resume into another network
      List<String> otherNetwork = new ArrayList<>(resume);
      otherNetwork.addAll(List.of("train.epochs=5", "train.output-stride=8"));
      SparkSession session = spark;
      assertThatThrownBy(() -> new TrainJob(session, TrainSettings.from(Settings.load(null, otherNetwork))).run())
          .hasMessageContaining("train.run 'killed' cannot resume")
          .hasMessageContaining("train.output-stride = 0 there, 8 now");
      assertThat(spark.sql("SELECT count(*) FROM cvpipe.runs.train_metrics WHERE run = 'killed'").first().getLong(0))
          .isEqualTo(4);
    } finally {
      spark.stop();
    }

    // the command line's eval of the resumed run's EMA export, as a user runs it
    Process eval = TestProcesses.cvpipe(List.of("eval", "--set", "dataset=shapes", "--set",
        "eval.model=" + tmp.resolve("models/killed/ema"), "--set", "eval.run=killed-ema", "--set",
        "eval.reports-dir=" + tmp.resolve("reports"), "--set", "warehouse=" + tmp.resolve("warehouse")));
    String out = new String(eval.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(eval.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(eval.exitValue()).as(out).isZero();
    assertThat(out).contains("eval killed-ema: 40 images, top-1 ");
    assertThat(tmp.resolve("reports/killed-ema/index.html")).isNotEmptyFile();
  }

  private Process launch(List<String> sets) throws Exception {
    List<String> args = new ArrayList<>(List.of("train"));
    for (String set : sets) {
      args.addAll(List.of("--set", set));
    }
    return TestProcesses.cvpipe(args);
  }
}
