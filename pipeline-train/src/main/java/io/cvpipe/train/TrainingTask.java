package io.cvpipe.train;

import io.cvpipe.common.CvpipeException;
import java.io.File;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.Schema;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One barrier task of a distributed training attempt: picks a free port, learns every member's {@code host:port}
 * with one {@code allGather}, takes the GPU addresses Spark gave it, and runs its member of the group in a
 * {@link TrainingWorker} process, which it kills if Spark kills the task. The worker's failure becomes the task's;
 * a user error (bad data, a diverged loss) is marked so that the driver does not try again.
 */
final class TrainingTask extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<EpochMetrics>>
    implements Serializable {

  private static final Logger LOG = LogManager.getLogger(TrainingTask.class);

  private static final String USER_ERROR = "[cvpipe user error: ";
  private static final Pattern USER_ERROR_TEXT = Pattern.compile(Pattern.quote(USER_ERROR) + "([A-Z]+)\\] ([^\\n]*)");

  private static final Pattern RANK_FAILURE = Pattern.compile("Exception: (rank \\d+ [^\\n]*)");

  /** The --add-opens set Spark 4 and Iceberg's Arrow readers need on Java 17. */
  private static final List<String> OPENS = List.of("java.base/java.lang", "java.base/java.lang.invoke",
      "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.net", "java.base/java.nio",
      "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
      "java.base/sun.nio.ch", "java.base/sun.nio.cs", "java.base/sun.security.action", "java.base/sun.util.calendar");

  private final TrainSettings settings;
  private final List<String> labels;
  private final List<Deal.DataFile> train;
  private final List<String> val;
  private final Schema projection;
  private final TrainJob.Reinforced reinforced;
  private final SerializableConfiguration conf;
  private final RunDirectory runDirectory;
  private final int attempt;
  private final TrainLoop.Segment segment;
  private final long heapMegabytes;

  TrainingTask(TrainSettings settings, List<String> labels, List<Deal.DataFile> train, List<String> val,
      Schema projection, TrainJob.Reinforced reinforced, SerializableConfiguration conf, RunDirectory runDirectory,
      int attempt, TrainLoop.Segment segment, long heapMegabytes) {
    this.runDirectory = runDirectory;
    this.settings = settings;
    this.labels = new ArrayList<>(labels);
    this.train = new ArrayList<>(train);
    this.val = new ArrayList<>(val);
    this.projection = projection;
    this.reinforced = reinforced;
    this.conf = conf;
    this.attempt = attempt;
    this.segment = segment;
    this.heapMegabytes = heapMegabytes;
  }

  @Override
  public scala.collection.Iterator<EpochMetrics> apply(scala.collection.Iterator<Integer> ignored) {
    BarrierTaskContext context = BarrierTaskContext.get();
    int rank = context.partitionId();
    BarrierTaskInfo[] tasks = context.getTaskInfos();
    String host = host(tasks[rank].address());
    List<String> addresses = Arrays.asList(context.allGather(host + ":" + freePort()));
    long onHost = Arrays.stream(tasks).filter(t -> host(t.address()).equals(host)).count();
    int threads = settings.threads() > 0 ? settings.threads()
        : (int) Math.max(1, Runtime.getRuntime().availableProcessors() / onHost);
    ResourceInformation gpu = context.resources().get("gpu").getOrElse(() -> null);
    List<String> gpus = gpu == null ? List.of() : Arrays.asList(gpu.addresses());
    LOG.info(String.format(Locale.ROOT, "train %s: attempt %d, rank %d of %d on %s%s, %d threads", settings.run(), attempt,
        rank, tasks.length, addresses.get(rank), gpus.isEmpty() ? "" : " (GPU " + String.join(",", gpus) + ")", threads));
    TrainingWorker.Spec spec = new TrainingWorker.Spec(settings, labels, train, val, projection, reinforced, conf,
        runDirectory, rank, addresses, gpus, threads, attempt, segment.done(), segment.until(), segment.skips());
    Object outcome = runWorker(context, spec, rank);
    if (outcome instanceof TrainingWorker.Failure f) {
      if (f.userError() != null) {
        throw new IllegalStateException(USER_ERROR + f.userError() + "] " + f.message());
      }
      deferReport();
      throw new IllegalStateException("rank " + rank + " failed: " + f.message());
    }
    @SuppressWarnings("unchecked")
    List<EpochMetrics> metrics = (List<EpochMetrics>) outcome;
    return CollectionConverters.asScala(metrics.iterator());
  }

  private Object runWorker(BarrierTaskContext context, TrainingWorker.Spec spec, int rank) {
    Path dir = null;
    Process process = null;
    try {
      dir = Files.createTempDirectory("cvpipe-train-"); // owner-only: the spec carries the Hadoop configuration
      Path specFile = dir.resolve("spec.bin");
      Path result = dir.resolve("result.bin");
      TrainingWorker.write(specFile, spec);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx" + heapMegabytes + "m");
      command.add("-XX:+ExitOnOutOfMemoryError");
      OPENS.forEach(o -> command.add("--add-opens=" + o + "=ALL-UNNAMED"));
      command.add("-cp");
      command.add(classpath());
      command.add(TrainingWorker.class.getName());
      command.add(specFile.toString());
      command.add(result.toString());
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT)
          .redirectError(ProcessBuilder.Redirect.INHERIT);
      String oneDnn = spec.settings().oneDnnVariable(builder.environment());
      if (oneDnn != null) {
        builder.environment().put("TF_ENABLE_ONEDNN_OPTS", oneDnn); // read once, when TensorFlow loads
      }
      process = builder.start();
      while (!process.waitFor(1, TimeUnit.SECONDS)) {
        if (context.isInterrupted()) { // Spark ends the attempt: a peer failed, or the job was cancelled
          throw new IllegalStateException("rank " + rank + " was stopped by Spark (the attempt ended elsewhere)");
        }
      }
      if (Files.exists(result)) {
        return TrainingWorker.read(result);
      }
      throw new IllegalStateException("rank " + rank + "'s training process ended with exit code " + process.exitValue()
          + " and no result (killed, or out of memory: its heap was " + heapMegabytes + " MB; see train.worker-heap)");
    } catch (IOException e) {
      throw new UncheckedIOException("rank " + rank + ": cannot start its training process", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("rank " + rank + " was interrupted", e);
    } finally {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
      if (dir != null) {
        deleteQuietly(dir);
      }
    }
  }

  /**
   * A rank whose failure is not a user error of its own (most often: an all-reduce aborted because a peer ended)
   * waits this long before reporting it, so that a peer's user error, the likely cause, reaches the driver first:
   * Spark reports a barrier stage's first failure, and only a user error tells the driver not to try again.
   */
  private static void deferReport() {
    try {
      Thread.sleep(3000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The user error a failed attempt carries ({@code [kind, message]}), or null when the failure may be worth
   * another attempt (a lost task, a network or process failure).
   */
  static String[] userError(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      Matcher m = USER_ERROR_TEXT.matcher(String.valueOf(t.getMessage()));
      if (m.find()) {
        return new String[] {m.group(1), m.group(2)};
      }
    }
    return null;
  }

  /**
   * Why an attempt failed, in one line: the failing rank's own words when Spark's message carries them (it wraps
   * them in a barrier stage's abort), else the message's first line.
   */
  static String cause(Throwable failure) {
    String text = String.valueOf(failure.getMessage());
    Matcher rank = RANK_FAILURE.matcher(text);
    if (rank.find()) {
      return rank.group(1);
    }
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }

  static CvpipeException.Kind kind(String name) {
    return CvpipeException.Kind.valueOf(name);
  }

  /** This JVM's classpath and the jars Spark added to the task's class loader (the application jar on a cluster). */
  private static String classpath() {
    Set<String> entries = new LinkedHashSet<>(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
    for (ClassLoader l = Thread.currentThread().getContextClassLoader(); l != null; l = l.getParent()) {
      if (l instanceof URLClassLoader urls) {
        for (URL url : urls.getURLs()) {
          if (url.getProtocol().equals("file")) {
            entries.add(new File(url.getPath()).getPath());
          }
        }
      }
    }
    entries.remove("");
    return String.join(File.pathSeparator, entries);
  }

  private static String host(String address) {
    int colon = address.lastIndexOf(':');
    return colon < 0 ? address : address.substring(0, colon);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port for the training server", e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a temporary directory; the OS cleans it
    }
  }
}
