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
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.SparkSession;

/**
 * The Java half of ci/bench-train (a benchmark, not a test): in one JVM, trains the same small ResNet
 * (1) from a real samples table through the whole input pipeline with SSc-FBS, (2) the same with MSc-VBS,
 * and (3) on one synthetic in-memory batch fed again and again (the engine alone), before and after the two, the
 * better of which is compared. Prints "name value" lines.
 *
 * Usage: java -cp CLASSPATH ci/TrainBench.java WORKDIR IMAGES
 */
public class TrainBench {

  static final int CROP = 96;
  static final int BATCH = 32;

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    int images = Integer.parseInt(args[1]);
    Path source = work.resolve("source");
    if (!Files.isDirectory(source)) {
      SyntheticImages.writeImageNetFolder(source, 4, images / 4, 0, 160, 128, false, 2026);
    }
    SparkSession spark = SparkSessions.start(SparkSettings.from(Settings.load(null, List.of(
        "warehouse=" + work.resolve("warehouse"), "spark.ui=false", "spark.conf.spark.ui.showConsoleProgress=false"))));
    try {
      new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=bench", "ingest.source=" + source,
          "ingest.progress-interval=0s")))).run();
      int steps = (images + BATCH - 1) / BATCH;
      // the engine alone before and after the table runs, the best of the two: this VM's speed drifts
      double before = synthetic(steps);
      EpochMetrics fixed = last(train(spark, "ssc", "ssc-fbs", work));
      EpochMetrics variable = last(train(spark, "vbs", "msc-vbs", work));
      double after = synthetic(steps);
      double synthetic = Math.max(before, after);
      System.err.printf(Locale.ROOT, "synthetic before %.1f, after %.1f images/s%n", before, after);
      System.out.printf(Locale.ROOT, "table_ssc %.2f%n", fixed.imagesPerSecond());
      System.out.printf(Locale.ROOT, "table_vbs %.2f%n", variable.imagesPerSecond());
      System.out.printf(Locale.ROOT, "synthetic_ssc %.2f%n", synthetic);
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
        "train.width=0.25", "train.epochs=2", "train.val-split=", "train.sampler.crop-size=" + CROP,
        "train.sampler.batch-size=" + BATCH, "train.sampler.min-crop-size=64", "train.sampler.max-crop-size=128",
        "train.sampler.scales=5", "train.sampler.divisor=16", "train.lr.max=0.05", "train.lr.warmup-iterations=10",
        "train.device=cpu", "train.models-dir=" + work.resolve("models"), "train.log-every=1000"));
  }

  private static List<EpochMetrics> train(SparkSession spark, String run, String kind, Path work) {
    List<String> sets = common(run, work);
    sets.add("train.sampler.kind=" + kind);
    return new TrainJob(spark, TrainSettings.from(Settings.load(null, sets))).run();
  }

  /** The second epoch: warmed up (JIT, TensorFlow's first-run graph work). */
  private static EpochMetrics last(List<EpochMetrics> epochs) {
    EpochMetrics m = epochs.get(epochs.size() - 1);
    System.err.println("epoch: " + m);
    return m;
  }

  /** The same model and step count on one synthetic batch: what the engine does when it never waits for input. */
  private static double synthetic(int steps) {
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
      for (int i = 0; i < steps; i++) { // warm-up epoch, as the table runs report their second epoch
        engine.trainStep(batch, targets, 0.01f);
      }
      long start = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        engine.trainStep(batch, targets, 0.01f);
      }
      return steps * (double) BATCH / ((System.nanoTime() - start) / 1e9);
    }
  }
}
