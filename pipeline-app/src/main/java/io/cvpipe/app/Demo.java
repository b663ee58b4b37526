package io.cvpipe.app;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * {@code cvpipe demo}: the pipeline of {@code conf/demo.conf}, run by {@code cvpipe run}'s own code, on
 * Fashion-MNIST (real 28x28 product photos, from Debian's package): ingest into the demo's own warehouse, the
 * sample-statistics notebook, a small ResNet trained for a few epochs and evaluated on the 10,000 test images with
 * its report, the training split reinforced with that model as the teacher, a small student trained on the labels
 * and another from the reinforced table, both evaluated and compared. Without the package it runs
 * {@code conf/demo-generated.conf}: the same on a small generated dataset of coloured shapes (with one of every bad
 * kind of file), and says so. Re-running it ingests nothing new and skips the stages whose inputs did not change; a
 * training run that was stopped continues.
 */
final class Demo {

  private final Path dir;
  private final Settings settings;
  private final Path fashionMnist;
  private final Pipeline pipeline;

  private Demo(Path dir, Settings settings, Path fashionMnist, Pipeline pipeline) {
    this.dir = dir;
    this.settings = settings;
    this.fashionMnist = fashionMnist;
    this.pipeline = pipeline;
  }

  /**
   * The demo of the command line's config ({@code conf/demo.conf} from bin/cvpipe), or of
   * {@code conf/demo-generated.conf} when Fashion-MNIST is not installed; its directories made absolute under
   * the checkout, every stage checked before Spark starts.
   */
  static Demo from(CommandLine cli) {
    Settings given = Settings.load(cli.conf(), cli.sets());
    Path dir = home().resolve(given.string("demo.dir", "work/demo")).normalize();
    Path notebook = home().resolve(given.string("demo.notebook", "notebooks/sample-statistics.sql")).normalize();
    Path fashion = Path.of(given.string("demo.fashion-mnist", "/usr/share/datasets/fashion-mnist"));
    boolean real = Files.isRegularFile(fashion.resolve("train-images-idx3-ubyte.gz"))
        && Files.isRegularFile(fashion.resolve("t10k-images-idx3-ubyte.gz"));
    Path conf = real || cli.conf() == null ? cli.conf() : home().resolve("conf/demo-generated.conf");
    List<String> sets = new ArrayList<>(cli.sets());
    sets.add("demo.dir=" + dir);
    sets.add("demo.notebook=" + notebook);
    Settings settings = Settings.load(conf, sets);
    return new Demo(dir, settings, real ? fashion : null, Pipeline.from(settings));
  }

  /** The demo's own settings: its dataset, source and warehouse under demo.dir. */
  Settings settings() {
    return settings;
  }

  int run(SparkSession spark, PrintStream out) {
    if (fashionMnist != null) {
      out.println("demo: Fashion-MNIST (70,000 real 28x28 grey product photos, 10 classes) from " + fashionMnist);
    } else {
      Path source = Path.of(settings.string("ingest.source", "work/demo/source"));
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
    out.println("demo: the pipeline of " + (fashionMnist != null ? "conf/demo.conf" : "conf/demo-generated.conf")
        + ", as bin/cvpipe run runs it (a re-run skips what is done; delete " + dir + " to start over)");
    pipeline.plan(spark, out);
    out.println();
    pipeline.run(spark, out);
    String student = settings.string("demo.student.run", "demo-student");
    Path reports = Path.of(settings.string("eval.reports-dir", "reports"));
    out.println();
    out.println("demo: tables are in " + settings.string("warehouse", "warehouse") + "; query them with");
    out.println("  bin/cvpipe sql --set warehouse=" + settings.string("warehouse", "warehouse")
        + " -e \"SELECT * FROM cvpipe.runs.eval_metrics\"");
    out.println("demo: where each model came from: bin/cvpipe sql -f notebooks/lineage.sql --set warehouse="
        + settings.string("warehouse", "warehouse") + " --set train.run=" + settings.string("demo.train.run", "demo"));
    out.println();
    out.println("demo: the teacher's report: " + reports.resolve(settings.string("demo.train.run", "demo"))
        .resolve("index.html"));
    out.println("demo: the students compared, plain vs reinforced: " + reports.resolve(student + "-plain-vs-" + student
        + "-reinforced").resolve("index.html"));
    return 0;
  }

  /** The cvpipe checkout (bin/cvpipe sets cvpipe.home), against which relative demo paths resolve. */
  static Path home() {
    String home = System.getProperty("cvpipe.home");
    return Path.of(home == null ? "" : home).toAbsolutePath();
  }
}
