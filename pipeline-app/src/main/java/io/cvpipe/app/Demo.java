package io.cvpipe.app;

import com.typesafe.config.ConfigValueFactory;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.eval.EvalJob;
import io.cvpipe.eval.EvalSettings;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestReport;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.reinforce.ReinforceJob;
import io.cvpipe.reinforce.ReinforceSettings;
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
 * 10,000 test images and writes the report; then reinforces the training split with that model as the teacher
 * and trains a small student on the labels and from the reinforced table, and compares the two. Without the package it does the same on a small generated dataset
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
  private final Settings plainStudent;
  private final Settings reinforcedStudent;

  private Demo(Path dir, Settings settings, Path notebook, Path fashionMnist, Settings plainStudent,
      Settings reinforcedStudent) {
    this.dir = dir;
    this.settings = settings;
    this.notebook = notebook;
    this.fashionMnist = fashionMnist;
    this.plainStudent = plainStudent;
    this.reinforcedStudent = reinforcedStudent;
  }

  static Demo from(Settings settings) {
    Path dir = home().resolve(settings.string("demo.dir", "work/demo")).normalize();
    Path notebook = home().resolve(settings.string("demo.notebook", "notebooks/sample-statistics.sql")).normalize();
    Path fashion = Path.of(settings.string("demo.fashion-mnist", "/usr/share/datasets/fashion-mnist"));
    boolean real = Files.isRegularFile(fashion.resolve("train-images-idx3-ubyte.gz"))
        && Files.isRegularFile(fashion.resolve("t10k-images-idx3-ubyte.gz"));
    var config = settings.config();
    String section = real ? "demo" : "demo.generated";
    var train = config.getConfig(section + ".train").withFallback(config.getConfig("train"));
    var reinforce = config.getConfig(section + ".reinforce").withFallback(config.getConfig("reinforce"))
        .withValue("teachers", ConfigValueFactory.fromIterable(List.of(train.getString("run"))))
        .withValue("models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()));
    config = config.withValue("train", train.root())
        .withValue("train.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.models-dir", ConfigValueFactory.fromAnyRef(dir.resolve("models").toString()))
        .withValue("eval.reports-dir", ConfigValueFactory.fromAnyRef(dir.resolve("reports").toString()))
        .withValue("eval.model", ConfigValueFactory.fromAnyRef(train.getString("run")))
        .withValue("dataset", ConfigValueFactory.fromAnyRef(real ? REAL_DATASET : GENERATED_DATASET))
        .withValue("ingest.source", ConfigValueFactory.fromAnyRef((real ? fashion : dir.resolve("source")).toString()))
        .withValue("ingest.format", ConfigValueFactory.fromAnyRef(real ? "idx" : "imagenet-folder"))
        .withValue("warehouse", ConfigValueFactory.fromAnyRef(dir.resolve("warehouse").toString()))
        .withValue("reinforce", reinforce.root());
    Settings demo = Settings.of(config);
    var student = config.getConfig(section + ".student").withFallback(config.getConfig("train"));
    String studentRun = student.getString("run");
    Settings plain = Settings.of(config.withValue("train", student.withValue("run",
        ConfigValueFactory.fromAnyRef(studentRun + "-plain")).root()));
    Settings reinforced = Settings.of(config.withValue("train", student.withValue("run",
        ConfigValueFactory.fromAnyRef(studentRun + "-reinforced")).withValue("data",
        ConfigValueFactory.fromAnyRef("reinforced")).root()));
    IngestSettings.from(demo); // fail on a bad ingest.*, train.*, reinforce.* or eval.* key before Spark starts
    TrainSettings.from(demo);
    ReinforceSettings.from(demo);
    TrainSettings.from(plain);
    TrainSettings.from(reinforced);
    EvalSettings.from(demo);
    return new Demo(dir, demo, notebook, real ? fashion : null, plain, reinforced);
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
        java.util.Optional.of(notebook), "table", false);
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

    ReinforceSettings reinforce = ReinforceSettings.from(settings);
    out.printf(Locale.ROOT, "demo: reinforcing the training split with %s as the teacher (%d stored augmentations "
        + "per image, top-%d; a re-run does only new images)%n", train.run(), reinforce.augmentations(), reinforce.topK());
    out.println(new ReinforceJob(spark, reinforce).run().summary());
    List<EvalJob.Result> students = new java.util.ArrayList<>();
    for (Settings student : List.of(plainStudent, reinforcedStudent)) {
      TrainSettings s = TrainSettings.from(student);
      out.printf(Locale.ROOT, "demo: training the student %s (%s x%s, %d epochs) %s%n", s.run(), s.model(), s.width(),
          s.epochs(), s.reinforced() ? "from the reinforced table (KL to the teacher)" : "on the labels");
      new TrainJob(spark, s).run();
      EvalJob.Result result = new EvalJob(spark, EvalSettings.from(withEvalModel(student, s.run()))).run();
      out.println(result.summary());
      students.add(result);
    }
    Path comparison = new EvalJob(spark, EvalSettings.from(withCompare(settings, students.get(0).run(),
        students.get(1).run()))).compare();
    out.printf(Locale.ROOT, "demo: students plain vs reinforced: top-1 %.4f vs %.4f, NLL %.4f vs %.4f, ECE %.4f vs %.4f%n",
        students.get(0).metrics().top1(), students.get(1).metrics().top1(), students.get(0).metrics().nll(),
        students.get(1).metrics().nll(), students.get(0).metrics().ece(), students.get(1).metrics().ece());
    out.println();
    out.println("demo: tables are in " + dir.resolve("warehouse") + "; query them with");
    out.println("  bin/cvpipe sql --set warehouse=" + dir.resolve("warehouse") + " -e \"SELECT * FROM cvpipe.runs.eval_metrics\"");
    out.println();
    out.println("demo: the model's report: " + eval.report().resolve("index.html"));
    out.println("demo: the students compared, plain vs reinforced: " + comparison.resolve("index.html"));
    return 0;
  }

  private static Settings withEvalModel(Settings s, String run) {
    return Settings.of(s.config().withValue("eval.model", ConfigValueFactory.fromAnyRef(run))
        .withValue("eval.run", ConfigValueFactory.fromAnyRef(run)));
  }

  private static Settings withCompare(Settings s, String a, String b) {
    return Settings.of(s.config().withValue("eval.compare", ConfigValueFactory.fromAnyRef(a + "," + b)));
  }

  /** The cvpipe checkout (bin/cvpipe sets cvpipe.home), against which relative demo paths resolve. */
  static Path home() {
    String home = System.getProperty("cvpipe.home");
    return Path.of(home == null ? "" : home).toAbsolutePath();
  }
}
