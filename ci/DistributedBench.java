import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Precision;
import io.cvpipe.engine.Replicas;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestSettings;
import io.cvpipe.train.EpochMetrics;
import io.cvpipe.train.TrainJob;
import io.cvpipe.train.TrainSettings;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;

/**
 * The Java half of ci/bench-distributed (a benchmark, not a test): in one run, (1) the same training (ResNet-18
 * x0.25, 96x96, global batch 32) on 1 task and on 2 tasks in local[2], second epoch's images/s; (2) the gradient
 * all-reduce alone of ResNet-18 and ResNet-50 (width 1, 1,000 classes) between 2 members over loopback.
 * Prints "name value" lines.
 *
 * Usage: java -cp CLASSPATH ci/DistributedBench.java WORKDIR IMAGES
 */
public class DistributedBench {

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    int images = Integer.parseInt(args[1]);
    Path source = work.resolve("source");
    if (!Files.isDirectory(source)) {
      SyntheticImages.writeImageNetFolder(source, 4, images / 4, 0, 160, 128, false, 2026);
    }
    SparkSession spark = SparkSessions.start(SparkSettings.from(Settings.load(null, List.of("spark.master=local[2]",
        "warehouse=" + work.resolve("warehouse"), "spark.ui=false", "spark.conf.spark.ui.showConsoleProgress=false"))));
    try {
      new IngestJob(spark, IngestSettings.from(Settings.load(null, List.of("dataset=bench", "ingest.source=" + source,
          "ingest.progress-interval=0s")))).run();
      System.out.printf(Locale.ROOT, "one_task %.2f%n", last(train(spark, 1, work)).imagesPerSecond());
      System.out.printf(Locale.ROOT, "two_tasks %.2f%n", last(train(spark, 2, work)).imagesPerSecond());
    } finally {
      spark.stop();
    }
    for (String model : List.of("resnet18", "resnet50")) {
      ModelSpec spec = ModelSpec.imagenet(model, 1.0, 1000);
      try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.sgd(0), Device.CPU)) {
        System.out.printf(Locale.ROOT, "params_%s %d%n", model, engine.parameterCount());
      }
      System.out.printf(Locale.ROOT, "allreduce_ms_%s %.2f%n", model, allReduce(spec));
    }
    System.exit(0);
  }

  private static List<EpochMetrics> train(SparkSession spark, int tasks, Path work) {
    return new TrainJob(spark, TrainSettings.from(Settings.load(null, List.of("dataset=bench",
        "train.run=tasks" + tasks + "-" + System.nanoTime(), "train.model=resnet18", "train.width=0.25",
        "train.epochs=2", "train.val-split=", "train.sampler.kind=ssc-fbs", "train.sampler.crop-size=96",
        "train.sampler.batch-size=" + 32 / tasks, "train.lr.max=0.05", "train.lr.warmup-iterations=10",
        "train.device=cpu", "train.models-dir=" + work.resolve("models"), "train.log-every=10",
        "train.tasks=" + tasks)))).run();
  }

  /** The second epoch: warmed up (JIT, TensorFlow's first-run graph work). */
  private static EpochMetrics last(List<EpochMetrics> epochs) {
    EpochMetrics m = epochs.get(epochs.size() - 1);
    System.err.println("epoch: " + m);
    return m;
  }

  /** Two members in this JVM (two TensorFlow servers on loopback); the slower member's milliseconds per step. */
  private static double allReduce(ModelSpec spec) throws Exception {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      try (ServerSocket socket = new ServerSocket(0)) {
        addresses.add("localhost:" + socket.getLocalPort());
      }
    }
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<Double>> members = new ArrayList<>();
      for (int rank = 0; rank < 2; rank++) {
        Execution execution = new Execution(Device.CPU, Precision.FLOAT32, 1, List.of(),
            new Replicas(rank, addresses, 300, false));
        members.add(threads.submit(() -> Engines.allReduceMillis(spec, execution, 3, 10)));
      }
      return Math.max(members.get(0).get(), members.get(1).get());
    } finally {
      threads.shutdownNow();
    }
  }
}
