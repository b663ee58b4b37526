import io.cvpipe.common.augment.AugmentPolicy;
import io.cvpipe.common.augment.AugmentReplay;
import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.Predictor;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.reinforce.ReinforceJob;
import io.cvpipe.reinforce.ReinforceSettings;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Table;
import org.apache.iceberg.types.Types;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Java half of ci/bench-reinforce (a benchmark, not a test): in one JVM, on Fashion-MNIST's 10,000 test
 * images, (1) trains a small teacher for one epoch on the 60,000 training images (once; kept between runs),
 * (2) reinforces the test split with it (N augmentations, top-k) and (3) runs the bare teacher on the same
 * images, N passes at the same batch size, pixels made beforehand. Then the table's bytes per augmentation,
 * by column; (4) what a student pays to replay a stored view: microseconds per 28x28 view rendered from the
 * decoded test images, a plain crop and flip against stored RRC+RA/RE and RRC+RA/RE+mixing views (one thread).
 * Prints "name value" lines.
 *
 * Usage: java -cp CLASSPATH ci/ReinforceBench.java WORKDIR FASHION_MNIST_DIR N K BATCH
 */
public class ReinforceBench {

  public static void main(String[] args) throws Exception {
    if (args[0].equals("students")) {
      students(args);
      return;
    }
    Path work = Path.of(args[0]).toAbsolutePath();
    String source = args[1];
    int n = Integer.parseInt(args[2]);
    int k = Integer.parseInt(args[3]);
    int batch = Integer.parseInt(args[4]);
    SparkSession spark = start(work);
    try {
      ingest(spark, source);
      Path teacher = teacher(spark, work);
      spark.sql("DROP TABLE IF EXISTS " + Tables.reinforced("fmnist") + " PURGE");
      ReinforceJob.Result result = reinforce(spark, teacher, n, k, batch);
      System.out.printf(Locale.ROOT, "reinforce_ips %.2f%n", result.imagesPerSecond());
      System.out.printf(Locale.ROOT, "bare_ips %.2f%n", bare(spark, teacher, n, batch));
      sizes(spark);
      replay(spark);

      Path wide = work.resolve("models/bench-wide/best");
      if (!Files.isRegularFile(wide.resolve("saved_model.pb"))) {
        untrained(wide, teacher, 0.5);
      }
      ReinforceJob.Result wideResult = reinforce(spark, wide, WIDE_N, k, batch);
      System.out.printf(Locale.ROOT, "wide_reinforce_ips %.2f%n", wideResult.imagesPerSecond());
      System.out.printf(Locale.ROOT, "wide_bare_ips %.2f%n", bare(spark, wide, WIDE_N, batch));
    } finally {
      spark.stop();
    }
    System.exit(0);
  }

  static final int WIDE_N = 3;

  /** A local Spark session, its warehouse under WORK. */
  private static SparkSession start(Path work) {
    return SparkSessions.start(SparkSettings.from(Settings.load(null, List.of("warehouse=" + work.resolve("warehouse"),
        "spark.ui=false", "spark.conf.spark.ui.showConsoleProgress=false"))));
  }

  /** Fashion-MNIST as cvpipe.fmnist: its training images as split train, its test images as val (once). */
  private static void ingest(SparkSession spark, String source) {
    new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=fmnist", "ingest.format=idx",
        "ingest.source=" + source, "ingest.progress-interval=0s")))).run();
  }

  /** The small teacher (ResNet-18 x0.125, one epoch on the training images), trained once under WORK/models. */
  private static Path teacher(SparkSession spark, Path work) {
    Path teacher = work.resolve("models/bench-teacher/best");
    if (!Files.isRegularFile(teacher.resolve("saved_model.pb"))) {
      new TrainJob(spark, TrainSettings.from(Settings.load(null, List.of("dataset=fmnist", "train.run=bench-teacher",
          "train.model=resnet18", "train.width=0.125", "train.channels=1", "train.stem-stride=1",
          "train.stem-pool=false", "train.epochs=1", "train.sampler.kind=ssc-fbs", "train.sampler.crop-size=28",
          "train.sampler.batch-size=128", "train.augment.min-scale=0.5", "train.lr.max=0.2",
          "train.lr.warmup-iterations=100", "train.device=cpu", "train.models-dir=" + work.resolve("models"),
          "train.log-every=1000")))).run();
    }
    return teacher;
  }

  /**
   * {@code students WORK FASHION_MNIST ROOT ROUNDS EPOCHS N STUDENTS}: what a reinforced student pays for its
   * stored views. Reinforces the 60,000 training images (N stored RRC+RA/RE+mixing views, top-10: the study's
   * policy; the small teacher, as only the student's cost is measured), then trains each student of
   * ci/study-reinforce.plan (its first line: model, width, lr, decay) with ci/study-reinforce-student.conf for
   * EPOCHS epochs on the labels and on the table, alternately, ROUNDS times (the order flips every round, so a
   * load on the machine that comes and goes falls on both). Prints "student NAME DATA ROUND IMAGES_PER_SECOND",
   * each run's fastest epoch (the first builds the graphs), training steps and loading, no validation.
   */
  private static void students(String[] args) throws Exception {
    Path work = Path.of(args[1]).toAbsolutePath();
    String source = args[2];
    Path root = Path.of(args[3]).toAbsolutePath();
    int rounds = Integer.parseInt(args[4]);
    int epochs = Integer.parseInt(args[5]);
    int n = Integer.parseInt(args[6]);
    List<String> only = args.length > 7 && !args[7].isEmpty() ? List.of(args[7].split(",")) : List.of();
    Map<String, String[]> plan = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(root.resolve("ci/study-reinforce.plan"))) {
      String[] f = line.trim().split("\\s+");
      if (line.isBlank() || line.trim().startsWith("#")) {
        continue;
      }
      if (f.length < 6) {
        throw new IllegalArgumentException("ci/study-reinforce.plan: '" + line.trim() + "' needs 6 columns: student "
            + "model width epochs lr-max weight-decay");
      }
      if (only.isEmpty() || only.contains(f[0])) {
        plan.putIfAbsent(f[0], f);
      }
    }
    if (plan.isEmpty()) {
      throw new IllegalArgumentException("bench-reinforce students: none of " + only + " is a student of ci/study-reinforce.plan");
    }
    SparkSession spark = start(work);
    try {
      ingest(spark, source);
      Path teacher = teacher(spark, work);
      ReinforceJob.Result reinforced = new ReinforceJob(spark, ReinforceSettings.from(Settings.load(null, List.of(
          "dataset=fmnist", "reinforce.teachers=[" + teacher + "]", "reinforce.augmentations=" + n,
          "reinforce.top-k=10", "reinforce.augment.min-scale=0.5", "reinforce.policy=rrc-ra-re-mix")))).run();
      System.err.println(reinforced.summary());
      Path recipe = root.resolve("ci/study-reinforce-student.conf");
      String stamp = Long.toString(System.currentTimeMillis(), 36); // a new train.run name for each bench run
      for (String[] student : plan.values()) {
        for (int round = 0; round < rounds; round++) {
          List<String> order = round % 2 == 0 ? List.of("samples", "reinforced") : List.of("reinforced", "samples");
          for (String data : order) {
            String run = "bench-" + student[0] + "-" + data + "-" + round + "-" + stamp;
            List<io.cvpipe.train.EpochMetrics> metrics = new TrainJob(spark, TrainSettings.from(Settings.load(recipe,
                List.of("dataset=fmnist", "train.run=" + run, "train.model=" + student[1], "train.width=" + student[2],
                    "train.epochs=" + epochs, "train.data=" + data, "train.val-split=", "train.lr.max=" + student[4],
                    "train.optimizer.weight-decay=" + student[5], "train.models-dir=" + work.resolve("models"),
                    "train.log-every=100000")))).run();
            deleteTree(work.resolve("models").resolve(run)); // only its figures are wanted
            double fastest = metrics.stream().mapToDouble(io.cvpipe.train.EpochMetrics::imagesPerSecond).max().orElseThrow();
            System.out.printf(Locale.ROOT, "student %s %s %d %.2f%n", student[0], data, round, fastest);
            System.out.flush();
          }
        }
      }
    } finally {
      spark.stop();
    }
    System.exit(0);
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Reinforces the test split with one teacher (a new version each time the teacher changes). */
  private static ReinforceJob.Result reinforce(SparkSession spark, Path teacher, int n, int k, int batch) {
    ReinforceJob.Result result = new ReinforceJob(spark, ReinforceSettings.from(Settings.load(null, List.of(
        "dataset=fmnist", "reinforce.teachers=[" + teacher + "]", "reinforce.augmentations=" + n,
        "reinforce.top-k=" + k, "reinforce.splits=[val]", "reinforce.batch-size=" + batch,
        "reinforce.augment.min-scale=0.35", "reinforce.policy=rrc-ra-re")))).run();
    System.err.println(result.summary());
    return result;
  }

  /**
   * A ResNet-18 at {@code width} with random weights and the small teacher's description: it costs what a
   * trained one costs, which is all the throughput comparison needs.
   */
  private static void untrained(Path dir, Path like, double width) throws Exception {
    var description = new com.fasterxml.jackson.databind.ObjectMapper().readTree(like.resolve(ModelInput.DESCRIPTION).toFile());
    int classes = description.get("classes").size();
    try (var engine = Engines.tensorflow(new io.cvpipe.engine.ModelSpec("resnet18", width, classes, 1, 1, false, 1),
        io.cvpipe.engine.OptimizerSpec.sgd(0), io.cvpipe.engine.Device.CPU)) {
      engine.exportSavedModel(dir);
    }
    ((com.fasterxml.jackson.databind.node.ObjectNode) description).put("run", "bench-wide-untrained");
    ((com.fasterxml.jackson.databind.node.ObjectNode) description).put("width", width);
    new com.fasterxml.jackson.databind.ObjectMapper().writeValue(dir.resolve(ModelInput.DESCRIPTION).toFile(), description);
  }

  private static void sizes(SparkSession spark) {
    {
      Row files = spark.sql("SELECT sum(file_size_in_bytes), sum(record_count), count(*) FROM "
          + Tables.reinforced("fmnist") + ".files").first();
      System.out.printf(Locale.ROOT, "table_bytes %d%n", files.getLong(0));
      System.out.printf(Locale.ROOT, "table_rows %d%n", files.getLong(1));
      System.out.printf(Locale.ROOT, "table_files %d%n", files.getLong(2));
      Table table = Tables.iceberg(spark, Tables.reinforced("fmnist"));
      Map<String, Long> byColumn = new TreeMap<>();
      for (Row r : spark.sql("SELECT key, sum(value) FROM (SELECT explode(column_sizes) FROM "
          + Tables.reinforced("fmnist") + ".files) GROUP BY key").collectAsList()) {
        byColumn.merge(top(table, r.getInt(0)), r.getLong(1), Long::sum);
      }
      byColumn.forEach((name, bytes) -> System.out.printf(Locale.ROOT, "column %s %d%n", name, bytes));
    }
  }

  /**
   * Microseconds per view, one thread, on the decoded test images: the plain crop a student draws from the labels
   * (area 1, the study's), against replaying stored RRC+RA/RE and RRC+RA/RE+mixing augmentations (drawn here as
   * reinforce draws them; a mixed view renders its partner's view too). The median of 10 timed passes.
   */
  private static void replay(SparkSession spark) throws Exception {
    List<Row> rows = spark.sql("SELECT image FROM " + Tables.samples("fmnist") + " WHERE split = 'val'").collectAsList();
    int count = rows.size();
    BufferedImage[] images = new BufferedImage[count];
    for (int i = 0; i < count; i++) {
      images[i] = Pixels.decode((byte[]) rows.get(i).get(0));
    }
    RandomResizedCrop crop = new RandomResizedCrop(0.5, 1, 3.0 / 4.0, 4.0 / 3.0);
    Augmentation[] plain = new Augmentation[count];
    Augmentation[] raRe = new Augmentation[count];
    Augmentation[] mixing = new Augmentation[count];
    for (int i = 0; i < count; i++) {
      int partner = (i + 1) % count;
      plain[i] = AugmentPolicy.RRC.with(new RandomResizedCrop(1, 1, 3.0 / 4.0, 4.0 / 3.0), 0, 0)
          .draw(0, i, 0, 28, 28, partner, 28, 28);
      raRe[i] = AugmentPolicy.RRC_RA_RE.with(crop, 2, 9).draw(0, i, 0, 28, 28, partner, 28, 28);
      mixing[i] = AugmentPolicy.RRC_RA_RE_MIX.with(crop, 2, 9).draw(0, i, 0, 28, 28, partner, 28, 28);
    }
    float[] mean = {0.5f};
    float[] std = {0.5f};
    float[] out = new float[28 * 28];
    String[] names = {"replay_plain_us", "replay_ra_re_us", "replay_mixing_us"};
    Augmentation[][] kinds = {plain, raRe, mixing};
    double[][] micros = new double[kinds.length][10];
    for (int pass = -2; pass < 10; pass++) { // two passes to warm up
      for (int k = 0; k < kinds.length; k++) {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
          Augmentation a = kinds[k][i];
          if (k == 0) { // what BatchLoader does for a sample without a stored view
            CropBox box = a.crop();
            Pixels.render(images[i], box, 28, 28, 1, mean, std, out, 0);
          } else {
            AugmentReplay.render(images[i], a, a.mixing() == null ? null : images[(i + 1) % count], 28, 28, 1,
                mean, std, out, 0);
          }
        }
        if (pass >= 0) {
          micros[k][pass] = (System.nanoTime() - start) / 1e3 / count;
        }
      }
    }
    for (int k = 0; k < kinds.length; k++) {
      java.util.Arrays.sort(micros[k]);
      System.out.printf(Locale.ROOT, "%s %.2f%n", names[k], micros[k][5]);
    }
  }

  /** The top-level column a (possibly nested list element) field id belongs to. */
  private static String top(Table table, int id) {
    for (Types.NestedField f : table.schema().columns()) {
      if (f.fieldId() == id || (f.type().isNestedType() && f.type().asNestedType().fields().stream()
          .anyMatch(e -> e.fieldId() == id))) {
        return f.name();
      }
    }
    return "field-" + id;
  }

  /** The teacher alone: the same images, validation view rendered beforehand, N passes at the same batch size. */
  private static double bare(SparkSession spark, Path teacher, int passes, int batch) throws Exception {
    ModelInput in = ModelInput.read(teacher, 28, 1);
    List<Row> rows = spark.sql("SELECT image FROM " + Tables.samples("fmnist") + " WHERE split = 'val'").collectAsList();
    int per = in.height() * in.width() * in.channels();
    float[] pixels = new float[rows.size() * per];
    for (int i = 0; i < rows.size(); i++) {
      BufferedImage image = Pixels.decode((byte[]) rows.get(i).get(0));
      Pixels.render(image, RandomResizedCrop.centre(image.getHeight(), image.getWidth(), in.height(), in.cropFraction()),
          in.height(), in.width(), in.channels(), in.mean(), in.std(), pixels, i * per);
    }
    try (Predictor predictor = Engines.savedModel(teacher)) {
      run(predictor, pixels, rows.size(), per, batch, in, 1); // warm-up
      long start = System.nanoTime();
      run(predictor, pixels, rows.size(), per, batch, in, passes);
      return passes * (double) rows.size() / ((System.nanoTime() - start) / 1e9);
    }
  }

  private static void run(Predictor predictor, float[] pixels, int images, int per, int batch, ModelInput in, int passes) {
    for (int p = 0; p < passes; p++) {
      for (int i = 0; i < images; i += batch) {
        int count = Math.min(batch, images - i);
        float[] slice = java.util.Arrays.copyOfRange(pixels, i * per, (i + count) * per);
        predictor.predict(new ImageBatch(slice, count, in.height(), in.width(), in.channels()));
      }
    }
  }
}
