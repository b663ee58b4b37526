package io.cvpipe.app;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}
