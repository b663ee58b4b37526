import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import io.cvpipe.ingest.IngestJob;
import io.cvpipe.ingest.IngestReport;
import io.cvpipe.ingest.IngestSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The Java half of ci/bench-ingest (a benchmark, not a test): in one JVM and one Spark session, times
 * cvpipe ingest (full and header validation) and a plain Spark binaryFile read + Parquet write of the same
 * files, then a full-validation ingest of LARGER images more, so that (LARGER - IMAGES) / (its seconds - the
 * first's) is the rate once started: the job's and the commits' fixed costs cancel. Prints one "name value"
 * line per measurement; the script adds the decoders' rates and the ratios.
 *
 * Usage: java -cp CLASSPATH ci/IngestBench.java WORKDIR IMAGES LARGER
 */
public class IngestBench {

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    int images = Integer.parseInt(args[1]);
    int larger = Integer.parseInt(args[2]);
    Path source = source(work, images, 2026);
    Path largerSource = source(work, larger, 2027);
    Path warm = work.resolve("warmup");
    if (!Files.isDirectory(warm)) {
      SyntheticImages.writeImageNetFolder(warm, 2, 60, 0, 400, 350, false, 7);
    }
    SparkSettings sparkSettings = SparkSettings.from(Settings.load(null, List.of(
        "warehouse=" + work.resolve("warehouse"), "spark.ui=false",
        "spark.conf.spark.ui.showConsoleProgress=false")));
    SparkSession spark = SparkSessions.start(sparkSettings);
    try {
      // warm up the JIT, ImageIO, Iceberg and Parquet code paths
      ingest(spark, "warm_full", warm, "full");
      ingest(spark, "warm_header", warm, "header");
      copy(spark, warm, work.resolve("copy-warm"));

      long files = Files.walk(source).filter(p -> p.toString().endsWith(".JPEG")).count();
      double copy = copy(spark, source, work.resolve("copy"));
      IngestReport full = ingest(spark, "bench_full", source, "full");
      IngestReport header = ingest(spark, "bench_header", source, "header");
      if (full.samplesWritten() != files || header.samplesWritten() != files) {
        throw new IllegalStateException("expected " + files + " samples, got " + full.summary() + " / " + header.summary());
      }
      System.out.printf(Locale.ROOT, "files %d%n", files);
      System.out.printf(Locale.ROOT, "copy %.1f%n", files / copy);
      System.out.printf(Locale.ROOT, "ingest_full %.1f%n", files / full.seconds());
      System.out.printf(Locale.ROOT, "ingest_header %.1f%n", files / header.seconds());
      IngestReport more = ingest(spark, "bench_larger", largerSource, "full");
      System.out.printf(Locale.ROOT, "seconds_full %d %.3f%n", files, full.seconds());
      System.out.printf(Locale.ROOT, "seconds_full %d %.3f%n", more.samplesWritten(), more.seconds());
    } finally {
      spark.stop();
    }
    System.exit(0);
  }

  /** {@code images} generated 400x350 JPEGs in 10 class folders, made once and kept between runs. */
  private static Path source(Path work, int images, long seed) throws java.io.IOException {
    Path source = work.resolve("source-" + images);
    if (!Files.isDirectory(source)) {
      SyntheticImages.writeImageNetFolder(source, 10, images / 10, 0, 400, 350, false, seed);
    }
    return source;
  }

  private static IngestReport ingest(SparkSession spark, String dataset, Path source, String validation) {
    IngestSettings settings = IngestSettings.from(Settings.load(null, List.of("dataset=" + dataset,
        "ingest.source=" + source, "ingest.validation=" + validation, "ingest.progress-interval=0s")));
    IngestReport report = new IngestJob(spark, settings).run();
    System.err.println(report.summary());
    return report;
  }

  /** The baseline: Spark's own binaryFile source into Parquet, no decoding, no Iceberg. Returns seconds. */
  private static double copy(SparkSession spark, Path source, Path target) {
    long start = System.nanoTime();
    spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(source.toString())
        .write().mode("overwrite").parquet(target.toString());
    return (System.nanoTime() - start) / 1e9;
  }
}
