package io.cvpipe.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Starts {@code cvpipe} in a JVM of its own (the test's classpath and --add-opens, bin/cvpipe's logging), for tests
 * that kill it.
 */
final class TestProcesses {

  private TestProcesses() {}

  static Process cvpipe(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens") || arg.startsWith("-Xmx")) {
        command.add(arg);
      }
    }
    // bin/cvpipe's logging: cvpipe's own lines (the progress these tests wait for) at INFO on stderr
    command.add("-Dlog4j2.configurationFile=" + Path.of("..", "conf", "log4j2.properties").toAbsolutePath().normalize());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    command.addAll(List.of("--set", "spark.master=local[2]", "--set", "spark.ui=false"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return builder.start();
  }

  /** What {@link #killOnLine} read: the process's output up to the kill, and whether a line matched. */
  record Killed(boolean matched, String output) {}

  /**
   * Reads {@code process}'s output until a line matches {@code line} (found anywhere in it), then kills the process
   * and its children with SIGKILL: no shutdown hook runs, as on a lost host or {@code kill -9}. It is killed all the
   * same when {@code timeout} passes first, so a run that hangs or never prints the line fails the test instead of
   * stalling it.
   */
  static Killed killOnLine(Process process, Pattern line, Duration timeout) throws Exception {
    CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> kill(process),
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
    StringBuilder output = new StringBuilder();
    boolean matched = false;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String text; (text = out.readLine()) != null; ) {
        output.append(text).append('\n');
        if (line.matcher(text).find()) {
          matched = true;
          break;
        }
      }
      kill(process);
    } finally {
      watchdog.cancel(false);
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the process did not end within 30 s of SIGKILL");
    }
    return new Killed(matched, output.toString());
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
