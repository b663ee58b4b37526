package io.cvpipe.app;

import io.cvpipe.common.CvpipeException;
import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.settings.SparkSettings;
import io.cvpipe.common.spark.SparkSessions;
import io.cvpipe.common.stage.Stage;
import io.cvpipe.common.stage.StageKind;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/**
 * The cvpipe command line, for bin/cvpipe (embedded Spark) and spark-submit alike. Settings are read and
 * checked before Spark starts, so a bad key costs nothing. Exit codes: 0 success, 2 usage or
 * configuration error, 1 job failure.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (Throwable t) {
      code = report(t);
    }
    System.out.flush();
    System.err.flush();
    // Spark's (and an S3 server's) non-daemon threads would keep the JVM alive
    System.exit(code);
  }

  /** Runs one command and returns its exit code; errors a user can act on become exceptions. */
  public static int run(String[] args) {
    CommandLine cli = CommandLine.parse(args);
    switch (cli.command()) {
      case "help", "--help", "-h" -> {
        System.out.println(CommandLine.USAGE);
        return 0;
      }
      case "ingest", "train", "reinforce", "eval", "shift" -> {
        Settings settings = Settings.load(cli.conf(), cli.sets());
        Stage stage = StageKind.named(cli.command(), "cvpipe").create(settings);
        return withSpark(settings, spark -> {
          System.out.println(stage.run(spark).summary());
          return 0;
        });
      }
      case "sql" -> {
        Settings settings = Settings.load(cli.conf(), cli.sets());
        SqlCommand sql = SqlCommand.from(cli, settings);
        return withSpark(settings, spark -> sql.run(spark, System.out));
      }
      case "run" -> {
        Settings settings = Settings.load(cli.conf(), cli.sets());
        Pipeline pipeline = Pipeline.from(settings);
        if (cli.dryRun()) {
          return withSpark(settings, spark -> {
            pipeline.plan(spark, System.out);
            return 0;
          });
        }
        return withSpark(settings, spark -> pipeline.run(spark, System.out));
      }
      case "demo" -> {
        Demo demo = Demo.from(cli);
        return withSpark(demo.settings(), spark -> demo.run(spark, System.out));
      }
      default -> throw Errors.usage("unknown command '" + cli.command() + "'.\n" + CommandLine.USAGE);
    }
  }

  static int withSpark(Settings settings, Function<SparkSession, Integer> body) {
    SparkSession spark = SparkSessions.start(SparkSettings.from(settings));
    try {
      return body.apply(spark);
    } finally {
      spark.stop();
    }
  }

  private static int report(Throwable t) {
    CvpipeException user = userError(t);
    if (user != null) {
      System.err.println("cvpipe: " + user.getMessage());
      return user.exitCode();
    }
    System.err.println("cvpipe: job failed: " + t);
    t.printStackTrace(System.err);
    return 1;
  }

  /** A failure in one line: a user error's own message (it may arrive wrapped by Spark), else the exception. */
  static String describe(Throwable t) {
    CvpipeException user = userError(t);
    return user != null ? user.getMessage() : String.valueOf(t);
  }

  /** A user error may arrive wrapped by Spark (thrown in a task or a listener). */
  private static CvpipeException userError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CvpipeException e) {
        return e;
      }
    }
    return null;
  }
}
