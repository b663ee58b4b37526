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
 * {@code cvpipe demo}: ingests Fashion-MNIST (real 28x28 product photos, from Debian's package) into its own
 * warehouse, prints the sample-statistics notebook, trains a small ResNet for a few epochs, evaluates it on the
 * 10,000 test images and writes the report. Without the package it does the same on a small generated dataset
 * of coloured shapes (with one of every bad kind of file), and says so. Re-running it shows that a second
 * ingest of the same source changes nothing, and continues an unfinished training run.
 */
final class Demo {

  static final String REAL_DATASET = "fashion_mnist";
  static final String GENERATED_DATASET = "demo";

  private final Path dir;
  private final Settings settings;
  private final Path notebook;
  private final Path fashionMnist;

  private Demo(Path dir, Settings settings, Path notebook, Path fashionMnist) {
    this.dir = dir;
    this.settings = settings;
    this.notebook = notebook;
    this.fashionMnist = fashionMnist;
  }

  static Demo from(Settings settings) {
    Path dir = home().resolve(settings.string("demo.dir", "work/demo")).normalize();
    Path notebook = home().resolve(settings.string("demo.notebook", "notebooks/sample-statistics.sql")).normalize();
    Path fashion = Path.of(settings.string("demo.fashion-mnist", "/usr/share/datasets/fashion-mnist"));
    boolean real = Files.isRegularFile(fashion.resolve("train-images-idx3-ubyte.gz"))
        && Files.isRegularFile(fashion.resolve("t10k-images-idx3-ubyte.gz"));
    var config = settings.config();
    var train = config.getConfig(real ? "demo.train" : "demo.generated.train").withFallback(config.getConfig("train"));
    config = config.withValue("train", train.root())
        .withValue("train.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.reports-dir", ConfigValueFactory.fromAnyRef(dir.resolve("reports").toString()))
        .withValue("eval.model", ConfigValueFactory.fromAnyRef(train.getString("run")))
        .withValue("dataset", ConfigValueFactory.fromAnyRef(real ? REAL_DATASET : GENERATED_DATASET))
        .withValue("ingest.source", ConfigValueFactory.fromAnyRef((real ? fashion : dir.resolve("source")).toString()))
        .withValue("ingest.format", ConfigValueFactory.fromAnyRef(real ? "idx" : "imagenet-folder"))
        .withValue("warehouse", ConfigValueFactory.fromAnyRef(dir.resolve("warehouse").toString()));
    Settings demo = Settings.of(config);
    IngestSettings.from(demo); // fail on a bad ingest.*, train.* or eval.* key before Spark starts
    TrainSettings.from(demo);
    EvalSettings.from(demo);
    return new Demo(dir, demo, notebook, real ? fashion : null);
  }

  /** The demo's own settings: its dataset, source and warehouse under demo.dir. */
  Settings settings() {
    return settings;
  }

  int run(SparkSession spark, PrintStream out) {
    String dataset = settings.string("dataset", REAL_DATASET);
    if (fashionMnist != null) {
      out.println("demo: Fashion-MNIST (70,000 real 28x28 grey product photos, 10 classes) from " + fashionMnist);
    } else {
      Path source = dir.resolve("source");
      out.println("demo: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): using a generated "
          + "dataset of coloured shapes instead, which shows the plumbing, not learning on real data");
      if (!Files.isDirectory(source)) {
        SyntheticImages.Layout layout = SyntheticImages.writeImageNetFolder(source,
            settings.intIn("demo.generated.classes", 1, 1000), settings.intIn("demo.generated.train-per-class", 1, 100_000),
            settings.intIn("demo.generated.val-per-class", 0, 100_000), settings.intIn("demo.generated.width", 8, 4096),
            settings.intIn("demo.generated.height", 8, 4096), true, 42);
        out.printf(Locale.ROOT, "demo: generated %,d files (%,d of them bad on purpose) in %s%n",
            layout.files().size(), layout.rejected(), source);
      } else {
        out.println("demo: using the images generated earlier in " + source + " (delete it to start over)");
      }
    }
    IngestReport report = new IngestJob(spark, IngestSettings.from(settings)).run();
    out.println(report.summary());
    out.println();
    out.println("demo: sample statistics (" + home().relativize(notebook) + ", dataset=" + dataset + ")");
    out.println();
    CommandLine cli = new CommandLine("sql", null, List.of(), java.util.Optional.empty(),
        java.util.Optional.of(notebook), "table");
    SqlCommand.from(cli, settings).run(spark, out);
    TrainSettings train = TrainSettings.from(settings);
    out.println("demo: training " + train.model() + " x" + train.width() + " for " + train.epochs() + " epochs"
        + " (an unfinished earlier run continues; delete " + dir + " to start over)");
    List<EpochMetrics> epochs = new TrainJob(spark, train).run();
    EpochMetrics last = epochs.get(epochs.size() - 1);
    out.printf(Locale.ROOT, "demo: after %d epochs: validation top-1 %.3f, loss %.3f%s%n", last.epoch(), last.top1(),
        last.valLoss(), fashionMnist != null ? " (published for Fashion-MNIST: ResNet18 0.949 after many more epochs)"
            : " (generated shapes: plumbing, not an accuracy claim)");
    EvalJob.Result eval = new EvalJob(spark, EvalSettings.from(settings)).run();
    out.println(eval.summary());
    out.println();
    out.println("demo: tables are in " + dir.resolve("warehouse") + "; query them with");
    out.println("  bin/cvpipe sql --set warehouse=" + dir.resolve("warehouse") + " -e \"SELECT * FROM cvpipe.runs.eval_metrics\"");
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
