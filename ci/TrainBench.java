import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.train.EpochMetrics;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import io.cvpipe.train.recipe.Targets;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/**
 * The Java half of ci/bench-train (a benchmark, not a test): in one JVM, rounds of the same small ResNet trained
 * (1) on one synthetic in-memory batch fed again and again (the engine alone), (2) from a real samples table
 * through the whole input pipeline with SSc-FBS, (3) the same with MSc-VBS; each for EPOCHS epochs of which the
 * first is left out. A table run is compared with the engine-alone runs on either side of its round, and the
 * median of those ratios over the rounds is kept. Prints "name value" lines and one line per round.
 *
 * Usage: java -cp CLASSPATH ci/TrainBench.java WORKDIR IMAGES ROUNDS EPOCHS
 */
public class TrainBench {

  static final int CROP = 96;
  static final int BATCH = 32;

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    int images = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int epochs = Integer.parseInt(args[3]); // the first is a warm-up (JIT, TensorFlow's first-run graph work)
    if (images < BATCH || rounds < 1 || epochs < 2) {
      throw new IllegalArgumentException("need IMAGES >= " + BATCH + ", ROUNDS >= 1 and EPOCHS >= 2 (the first is left"
          + " out), got " + images + ", " + rounds + " and " + epochs);
    }
    Path source = work.resolve("source-" + images); // generated once per size
    if (!Files.isDirectory(source)) {
      SyntheticImages.writeImageNetFolder(source, 4, images / 4, 0, 160, 128, false, 2026);
    }
    SparkSession spark = SparkSessions.start(SparkSettings.from(Settings.load(null, List.of(
        "warehouse=" + work.resolve("warehouse"), "spark.ui=false", "spark.conf.spark.ui.showConsoleProgress=false"))));
    try {
      new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=bench", "ingest.source=" + source,
          "ingest.progress-interval=0s")))).run();
      int steps = (images + BATCH - 1) / BATCH;
      // Rounds of (engine alone, SSc-FBS from the table, MSc-VBS from the table), and the engine alone once more
      // at the end: a table run is compared with the mean of the engine-alone runs just before and after its round.
      // This VM's speed drifts by a fifth within minutes, so only neighbours are compared, and the median is kept.
      List<Double> tableRatios = new ArrayList<>();
      List<Double> vbsRatios = new ArrayList<>();
      double sscSum = 0;
      double vbsSum = 0;
      double synSum = 0;
      double before = synthetic(steps, epochs);
      for (int round = 1; round <= rounds; round++) {
        double fixed = timed(train(spark, "ssc", "ssc-fbs", work, epochs), "ssc-fbs", round);
        double variable = timed(train(spark, "vbs", "msc-vbs", work, epochs), "msc-vbs", round);
        double after = synthetic(steps, epochs);
        double synthetic = (before + after) / 2;
        System.out.printf(Locale.ROOT,
            "round %d: synthetic %.1f and %.1f, ssc-fbs %.1f (%.2fx their mean), msc-vbs %.1f (%.2fx ssc-fbs)%n",
            round, before, after, fixed, fixed / synthetic, variable, variable / fixed);
        tableRatios.add(fixed / synthetic);
        vbsRatios.add(variable / fixed);
        sscSum += fixed;
        vbsSum += variable;
        synSum += synthetic;
        before = after;
      }
      System.out.printf(Locale.ROOT, "table_ssc %.2f%n", sscSum / rounds);
      System.out.printf(Locale.ROOT, "table_vbs %.2f%n", vbsSum / rounds);
      System.out.printf(Locale.ROOT, "synthetic_ssc %.2f%n", synSum / rounds);
      System.out.printf(Locale.ROOT, "ratio_table %.3f%n", median(tableRatios));
      System.out.printf(Locale.ROOT, "ratio_vbs %.3f%n", median(vbsRatios));
      long heap = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          heap += pool.getPeakUsage().getUsed();
        }
      }
      System.out.printf(Locale.ROOT, "peak_heap_mb %d%n", heap >> 20);
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          System.out.printf(Locale.ROOT, "peak_rss_mb %d%n", Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10);
        }
      }
    } finally {
      spark.stop();
    }
    System.exit(0);
  }

  private static List<String> common(String run, Path work) {
    return new ArrayList<>(List.of("dataset=bench", "train.run=" + run + "-" + System.nanoTime(), "train.model=resnet18",
        "train.width=0.25", "train.val-split=", "train.sampler.crop-size=" + CROP,
        "train.sampler.batch-size=" + BATCH, "train.sampler.min-crop-size=64", "train.sampler.max-crop-size=128",
        "train.sampler.scales=5", "train.sampler.divisor=16", "train.lr.max=0.05", "train.lr.warmup-iterations=10",
        "train.device=cpu", "train.models-dir=" + work.resolve("models"), "train.log-every=1000"));
  }

  private static List<EpochMetrics> train(SparkSession spark, String run, String kind, Path work, int epochs) {
    List<String> sets = common(run, work);
    sets.add("train.sampler.kind=" + kind);
    sets.add("train.epochs=" + epochs);
    return new TrainJob(spark, TrainSettings.from(Settings.load(null, sets))).run();
  }

  /** Images per second over the epochs after the first (their harmonic mean: each epoch sees every image once). */
  private static double timed(List<EpochMetrics> epochs, String kind, int round) {
    double seconds = 0;
    StringBuilder each = new StringBuilder();
    for (EpochMetrics m : epochs.subList(1, epochs.size())) {
      seconds += 1 / m.imagesPerSecond();
      each.append(String.format(Locale.ROOT, " %.1f", m.imagesPerSecond()));
    }
    System.err.printf(Locale.ROOT, "round %d, %s: epochs after the first at%s images/s%n", round, kind, each);
    return (epochs.size() - 1) / seconds;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The same model and step count on one synthetic batch: what the engine does when it never waits for input. */
  private static double synthetic(int steps, int epochs) {
    TrainSettings settings = TrainSettings.from(Settings.load(null, common("synthetic", Path.of("/tmp"))));
    Random random = new Random(1);
    float[] px = new float[BATCH * CROP * CROP * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) random.nextGaussian();
    }
    ImageBatch batch = new ImageBatch(px, BATCH, CROP, CROP, 3);
    int[] labels = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      labels[i] = i % 4;
    }
    float[] targets = Targets.smoothed(labels, 4, 0.1);
    try (Engine engine = Engines.tensorflow(settings.modelSpec(4), settings.optimizer(), Device.CPU)) {
      for (int i = 0; i < steps; i++) { // a warm-up epoch, as the table runs leave out their first
        engine.trainStep(batch, targets, 0.01f);
      }
      long start = System.nanoTime();
      for (int i = 0; i < steps * (epochs - 1); i++) {
        engine.trainStep(batch, targets, 0.01f);
      }
      return steps * (epochs - 1) * (double) BATCH / ((System.nanoTime() - start) / 1e9);
    }
  }
}
