package io.cvpipe.app;

import com.typesafe.config.ConfigValueFactory;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.eval.EvalJob;
import io.cvpipe.eval.EvalSettings;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestReport;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.train.EpochMetrics;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cvpipe demo}: generates a small ImageNet-style dataset of coloured shapes (with one of every bad
 * kind of file), ingests it into its own warehouse, prints the sample-statistics notebook, trains a small
 * ResNet on it for a few epochs, evaluates the best checkpoint and writes the report. Re-running it shows that a second ingest of the same source changes nothing.
 */
final class Demo {

  static final String DATASET = "demo";

  private final Path dir;
  private final Settings settings;
  private final Path notebook;

  private Demo(Path dir, Settings settings, Path notebook) {
    this.dir = dir;
    this.settings = settings;
    this.notebook = notebook;
  }

  static Demo from(Settings settings) {
    Path dir = home().resolve(settings.string("demo.dir", "work/demo")).normalize();
    Path notebook = home().resolve(settings.string("demo.notebook", "notebooks/sample-statistics.sql")).normalize();
    var config = settings.config()
        .withValue("train", settings.config().getConfig("demo.train").withFallback(settings.config().getConfig("train")).root())
        .withValue("train.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.reports-dir", ConfigValueFactory.fromAnyRef(dir.resolve("reports").toString()))
        .withValue("dataset", ConfigValueFactory.fromAnyRef(DATASET))
        .withValue("ingest.source", ConfigValueFactory.fromAnyRef(dir.resolve("source").toString()))
        .withValue("ingest.format", ConfigValueFactory.fromAnyRef("imagenet-folder"))
        .withValue("warehouse", ConfigValueFactory.fromAnyRef(dir.resolve("warehouse").toString()));
    Settings demo = Settings.of(config);
    IngestSettings.from(demo); // fail on a bad ingest.* or train.* key before Spark starts
    TrainSettings train = TrainSettings.from(demo);
    demo = Settings.of(demo.config().withValue("eval.model", ConfigValueFactory.fromAnyRef(train.run())));
    EvalSettings.from(demo);
    return new Demo(dir, demo, notebook);
  }

  /** The demo's own settings: its dataset, source and warehouse under demo.dir. */
  Settings settings() {
    return settings;
  }

  int run(SparkSession spark, PrintStream out) {
    Path source = dir.resolve("source");
    if (!Files.isDirectory(source)) {
      SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(source,
          settings.intIn("demo.classes", 1, 1000), settings.intIn("demo.train-per-class", 1, 100_000),
          settings.intIn("demo.val-per-class", 0, 100_000), settings.intIn("demo.width", 8, 4096),
          settings.intIn("demo.height", 8, 4096), true, 42);
      out.printf(Locale.ROOT, "demo: generated %,d files (%,d of them bad on purpose) in %s%n",
          layout.files().size(), layout.rejected(), source);
    } else {
      out.println("demo: using the images generated earlier in " + source + " (delete it to start over)");
    }
    IngestReport report = new IngestJob(spark, IngestSettings.from(settings)).run();
    out.println(report.summary());
    out.println();
    out.println("demo: sample statistics (" + home().relativize(notebook) + ", dataset=" + DATASET + ")");
    out.println();
    CommandLine cli = new CommandLine("sql", null, List.of(), java.util.Optional.empty(),
        java.util.Optional.of(notebook), "table");
    SqlCommand.from(cli, settings).run(spark, out);
    TrainSettings train = TrainSettings.from(settings);
    out.println("demo: training " + train.model() + " x" + train.width() + " for " + train.epochs() + " epochs"
        + " (continues an earlier demo's run; delete " + dir + " to start over)");
    List<EpochMetrics> epochs = new TrainJob(spark, train).run();
    EpochMetrics last = epochs.get(epochs.size() - 1);
    out.printf(java.util.Locale.ROOT, "demo: after %d epochs: validation top-1 %.3f, loss %.3f (generated shapes: plumbing, not an accuracy claim)%n",
        last.epoch(), last.top1(), last.valLoss());
    EvalJob.Result eval = new EvalJob(spark, EvalSettings.from(settings)).run();
    out.println(eval.summary());
    out.println();
    out.println("demo: tables are in " + dir.resolve("warehouse") + "; query them with");
    out.println("  bin/cvpipe sql --set warehouse=" + dir.resolve("warehouse") + " -e \"SELECT * FROM cvpipe.demo.quarantine\"");
    out.println();
    out.println("demo: the report: " + eval.report().resolve("index.html"));
    return 0;
  }

  /** The cvpipe checkout (bin/cvpipe sets cvpipe.home), against which relative demo paths resolve. */
  static Path home() {
    String home = System.getProperty("cvpipe.home");
    return Path.of(home == null ? "" : home).toAbsolutePath();
  }
}
