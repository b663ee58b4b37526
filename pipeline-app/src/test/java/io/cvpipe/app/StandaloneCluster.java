package io.cvpipe.app;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on localhost for the integration tests: a Master and Workers run from spark-core's
 * classes over a SPARK_HOME of the Maven jars (failsafe's {@code cvpipe.spark-home}), and SparkSubmit of the
 * shaded jar ({@code cvpipe.app-jar}). Each process logs to {@code <dir>/<name>.log}; {@link #close} kills them
 * all with their children.
 */
final class StandaloneCluster implements AutoCloseable {

  final Path sparkHome = Path.of(System.getProperty("cvpipe.spark-home"));
  final Path appJar = Path.of(System.getProperty("cvpipe.app-jar"));
  final List<String> addOpens = Arrays.asList(System.getProperty("cvpipe.add-opens").split(" "));
  private final Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final List<String> extraClassPath;
  private final List<Process> started = new ArrayList<>();
  private String master;

  /**
   * A cluster whose processes log under {@code dir}, with {@code env} added to theirs, and these jars (e.g.
   * hadoop-aws) on every JVM's class path beside SPARK_HOME's.
   */
  StandaloneCluster(Path dir, Map<String, String> env, List<String> extraClassPath) {
    assertThat(sparkHome.resolve("jars")).isDirectory();
    assertThat(appJar).exists();
    this.dir = dir;
    this.env.putAll(Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.13",
        "SPARK_LOCAL_IP", "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL", "1"));
    this.env.putAll(env);
    this.extraClassPath = extraClassPath;
  }

  /** The jars of the test's own class path whose file names contain one of {@code names}. */
  static List<String> testJars(String... names) {
    return Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> Stream.of(names).anyMatch(n -> Path.of(p).getFileName().toString().contains(n))).toList();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String master() {
    return master;
  }

  Path log(String name) {
    return dir.resolve(name + ".log");
  }

  /** Starts the Master and one Worker per entry of {@code workerOptions} (its JVM options), each with these cores. */
  void start(int cores, String memory, List<List<String>> workerOptions) throws Exception {
    int port = freePort();
    master = "spark://127.0.0.1:" + port;
    start("master", java(List.of("-Xmx256m"), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort())));
    awaitLine(log("master"), "I have been elected leader", 60);
    for (int w = 0; w < workerOptions.size(); w++) {
      List<String> options = new ArrayList<>(List.of("-Xmx256m"));
      options.addAll(workerOptions.get(w));
      start("worker-" + w, java(options, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
          "--cores", String.valueOf(cores), "--memory", memory, "--webui-port", String.valueOf(freePort()),
          "--work-dir", workDir(w).toString(), master));
    }
    for (int w = 0; w < workerOptions.size(); w++) {
      awaitLine(log("worker-" + w), "Successfully registered with master", 60);
    }
  }

  Path workDir(int worker) throws IOException {
    return Files.createDirectories(dir.resolve("work-" + worker));
  }

  /**
   * {@code SparkSubmit --master <this> <sparkOptions> --class Main <app jar> <appArgs>}, started as process
   * {@code name}, with the add-opens flags on the driver and the executors and the extra class path everywhere.
   */
  Process submit(String name, List<String> sparkOptions, List<String> appArgs) throws IOException {
    List<String> jvm = new ArrayList<>(List.of("-Xmx1g"));
    jvm.addAll(addOpens);
    List<String> args = new ArrayList<>(List.of("--master", master, "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.extraJavaOptions=" + String.join(" ", addOpens),
        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", addOpens)));
    if (!extraClassPath.isEmpty()) {
      String cp = String.join(File.pathSeparator, extraClassPath);
      args.addAll(List.of("--conf", "spark.driver.extraClassPath=" + cp, "--conf", "spark.executor.extraClassPath=" + cp));
    }
    args.addAll(sparkOptions);
    args.addAll(List.of("--class", Main.class.getName(), appJar.toString()));
    args.addAll(appArgs);
    return start(name, java(jvm, "org.apache.spark.deploy.SparkSubmit", args.toArray(String[]::new)));
  }

  private Process start(String name, List<String> command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(name).toFile());
    builder.environment().putAll(env);
    Process p = builder.start();
    started.add(p);
    return p;
  }

  private List<String> java(List<String> options, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(options);
    List<String> cp = new ArrayList<>(List.of(sparkHome.resolve("jars") + File.separator + "*"));
    cp.addAll(extraClassPath);
    command.addAll(List.of("-cp", String.join(File.pathSeparator, cp), mainClass));
    command.addAll(Arrays.asList(args));
    return command;
  }

  /** A resource discovery script that reports these GPU addresses. */
  Path gpuScript(String name, String... addresses) throws IOException {
    Path script = dir.resolve(name);
    Files.writeString(script, "#!/bin/sh\necho '{\"name\":\"gpu\",\"addresses\":[\"" + String.join("\",\"", addresses)
        + "\"]}'\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  static void awaitLine(Path log, String text, long seconds) throws Exception {
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

  /**
   * The executor JVMs that this cluster's workers started and that still run: another cluster or Spark job on the
   * same host is not counted.
   */
  List<ProcessHandle> executors() {
    return started.stream().flatMap(Process::descendants)
        .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .toList();
  }

  /** Every file named {@code name} under {@code root}, read. */
  static List<String> filesNamed(Path root, String name) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(f -> f.getFileName().toString().equals(name)).toList()) {
        out.add(Files.readString(f));
      }
    }
    return out;
  }

  @Override
  public void close() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
