package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.testing.ShapesTable;
import io.cvpipe.common.testing.TestSpark;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real standalone cluster on localhost: a Master and two Workers (one core and two fake GPUs each, from a
 * discovery script) run from spark-core's classes over a SPARK_HOME of the Maven jars, and the shaded jar
 * submitted with SparkSubmit in client mode trains on 2 tasks across the two executor JVMs. One executor is
 * killed with SIGKILL after the first epoch; the run must still end with a model.
 */
class ITDistributedTrainingOnACluster {

  private static final Pattern RANK_LINE = Pattern.compile("train cluster: attempt (\\d+), rank (\\d) of 2 on \\S+ \\(GPU (\\w+)\\)");

  @TempDir
  Path tmp;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void stopTheCluster() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Process start(String name, List<String> command, Map<String, String> env) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve(name + ".log").toFile());
    builder.environment().putAll(env);
    Process p = builder.start();
    started.add(p);
    return p;
  }

  private static List<String> java(Path sparkHome, List<String> options, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(options);
    command.addAll(List.of("-cp", sparkHome.resolve("jars") + File.separator + "*", mainClass));
    command.addAll(Arrays.asList(args));
    return command;
  }

  private Path gpuScript(String name, String... addresses) throws IOException {
    Path script = tmp.resolve(name);
    Files.writeString(script, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[\"" + String.join("\",\"", addresses)
        + "\"]}'\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  private static void awaitLine(Path log, String text, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + text + "' in " + log + " within " + seconds + " s:\n"
        + (Files.exists(log) ? Files.readString(log) : "(no log)"));
  }

  private static List<ProcessHandle> executors() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .toList();
  }

  @Test
  void twoTasksOnTwoExecutorsSurviveAKilledExecutorAndEachTaskGetsItsOwnGpuAddress() throws Exception {
    Path sparkHome = Path.of(System.getProperty("cvpipe.spark-home"));
    Path appJar = Path.of(System.getProperty("cvpipe.app-jar"));
    List<String> opens = Arrays.asList(System.getProperty("cvpipe.add-opens").split(" "));
    assertThat(sparkHome.resolve("jars")).isDirectory();
    assertThat(appJar).exists();

    Path warehouse = tmp.resolve("warehouse");
    SparkSession spark = TestSpark.start(warehouse);
    try {
      ShapesTable.write(spark, "shapes", Map.of("train", 160, "val", 32), 32, 5);
    } finally {
      spark.stop();
    }

    Map<String, String> env = Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.13",
        "SPARK_LOCAL_IP", "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL", "1");
    int masterPort = freePort();
    String master = "spark://127.0.0.1:" + masterPort;
    start("master", java(sparkHome, List.of("-Xmx256m"), "org.apache.spark.deploy.master.Master", "--host",
        "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(freePort())), env);
    awaitLine(tmp.resolve("master.log"), "I have been elected leader", 60);
    String[][] gpus = {{"0", "1"}, {"2", "3"}};
    for (int w = 0; w < 2; w++) {
      Path work = Files.createDirectories(tmp.resolve("work-" + w));
      start("worker-" + w, java(sparkHome, List.of("-Xmx256m", "-Dspark.worker.resource.gpu.amount=2",
          "-Dspark.worker.resource.gpu.discoveryScript=" + gpuScript("gpus-" + w + ".sh", gpus[w])),
          "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "3g",
          "--webui-port", String.valueOf(freePort()), "--work-dir", work.toString(), master), env);
    }
    for (int w = 0; w < 2; w++) {
      awaitLine(tmp.resolve("worker-" + w + ".log"), "Successfully registered with master", 60);
    }

    Path models = tmp.resolve("models");
    List<String> submitOptions = new ArrayList<>(List.of("-Xmx1g"));
    submitOptions.addAll(opens);
    List<String> submit = java(sparkHome, submitOptions, "org.apache.spark.deploy.SparkSubmit", "--master", master,
        "--deploy-mode", "client", "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", opens), "--conf", "spark.executor.cores=1",
        "--conf", "spark.executor.memory=1g", "--conf", "spark.cores.max=2",
        "--conf", "spark.executor.resource.gpu.amount=1", "--conf", "spark.task.resource.gpu.amount=1",
        "--conf", "spark.ui.enabled=false", "--class", Main.class.getName(), appJar.toString(),
        "train", "--set", "warehouse=" + warehouse, "--set", "dataset=shapes", "--set", "train.run=cluster",
        "--set", "train.model=resnet18", "--set", "train.width=0.0625", "--set", "train.stem-stride=1",
        "--set", "train.stem-pool=false", "--set", "train.epochs=3", "--set", "train.sampler.kind=ssc-fbs",
        "--set", "train.sampler.crop-size=24", "--set", "train.sampler.batch-size=8", "--set", "train.lr.max=0.05",
        "--set", "train.lr.warmup-iterations=5", "--set", "train.device=auto", "--set", "train.models-dir=" + models,
        "--set", "train.tasks=2", "--set", "train.collective-timeout=60s", "--set", "train.worker-heap=512MB",
        "--set", "train.log-every=5");
    Process driver = start("driver", submit, env);

    // the first epoch's checkpoint is complete: kill one executor (its training process follows it)
    Path firstEpoch = models.resolve("cluster/checkpoints/epoch-0001/epoch.properties");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.exists(firstEpoch) && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(firstEpoch).as(Files.readString(tmp.resolve("driver.log"))).exists();
    List<ProcessHandle> executors = executors();
    assertThat(executors).as("one executor per worker").hasSize(2);
    Optional<ProcessHandle> victim = executors.stream().findFirst();
    victim.orElseThrow().destroyForcibly(); // SIGKILL

    assertThat(driver.waitFor(8, TimeUnit.MINUTES)).as("the run ends").isTrue();
    String driverLog = Files.readString(tmp.resolve("driver.log"));
    assertThat(driver.exitValue()).as(driverLog).isZero();
    assertThat(driverLog).contains("train cluster: attempt 1 of 3 failed:")
        .contains("train cluster: attempt 2 starts on fresh ports and resumes after epoch");
    assertThat(models.resolve("cluster/final/saved_model.pb")).exists();
    assertThat(models.resolve("cluster/checkpoints/epoch-0003/epoch.properties")).exists();

    // the executors' logs: every task of every attempt names the GPU Spark gave it, and the two of an attempt differ
    List<String> executorLogs = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      try (Stream<Path> files = Files.walk(tmp.resolve("work-" + w))) {
        for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
          executorLogs.add(Files.readString(f));
        }
      }
    }
    List<String[]> ranks = new ArrayList<>();
    for (String log : executorLogs) {
      Matcher m = RANK_LINE.matcher(log);
      while (m.find()) {
        ranks.add(new String[] {m.group(1), m.group(2), m.group(3)});
      }
    }
    System.out.println("ranks (attempt, rank, GPU): " + ranks.stream().map(Arrays::toString).toList());
    for (String attempt : List.of("1", "2")) {
      List<String> gpusOfAttempt = ranks.stream().filter(r -> r[0].equals(attempt)).map(r -> r[2]).toList();
      assertThat(gpusOfAttempt).as("attempt " + attempt).hasSize(2).doesNotHaveDuplicates()
          .allMatch(g -> List.of("0", "1", "2", "3").contains(g));
    }
  }
}
