package io.cvpipe.common.spark;

import io.cvpipe.common.Logging;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Prints "what: done/total (pct), rate/s" on the console every interval while a Spark job runs, from a
 * counter the tasks add to: a LongAccumulator, counted as the running tasks report it with their heartbeats
 * ({@link LiveCount}), or any count.
 */
public final class Progress implements AutoCloseable {

  private final String what;
  private final String unit;
  private final long total;
  private final LongSupplier done;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private LiveCount following;

  private Progress(String what, String unit, long total, LongSupplier done, Duration interval, PrintStream out) {
    this.what = what;
    this.unit = unit;
    this.total = total;
    this.done = done;
    this.out = out;
    this.thread = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(interval.toMillis());
          out.println(line());
        }
      } catch (InterruptedException e) {
        // closed
      }
    }, "cvpipe-progress");
    thread.setDaemon(true);
  }

  private static final Logger LOG = LogManager.getLogger(Progress.class);
  private static final PrintStream LINES = Logging.lines(LOG, Level.INFO);

  /** Starts logging a line every {@code interval} (log4j2, INFO); {@code total} may be 0 when unknown. */
  private static Progress start(String what, String unit, long total, LongSupplier done, Duration interval) {
    Progress progress = new Progress(what, unit, total, done, interval, LINES);
    if (!interval.isZero()) {
      progress.thread.start();
    }
    return progress;
  }

  /**
   * Starts logging a line every {@code interval}, counting {@code done} in its running tasks too: a job of a few
   * long tasks moves at every executor heartbeat, not only when a task ends; {@code total} may be 0 when unknown.
   */
  public static Progress start(String what, String unit, long total, SparkContext context, LongAccumulator done,
      Duration interval) {
    LiveCount live = LiveCount.of(context, done);
    Progress progress = start(what, unit, total, live, interval);
    progress.following = live;
    return progress;
  }

  public String line() {
    long n = done.getAsLong();
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    String of = total > 0 ? String.format(Locale.ROOT, "%,d/%,d %s (%.1f%%)", n, total, unit, 100.0 * n / total)
        : String.format(Locale.ROOT, "%,d %s", n, unit);
    return String.format(Locale.ROOT, "%s: %s, %.1f %s/s, %.0fs", what, of, n / seconds, unit, seconds);
  }

  @Override
  public void close() {
    thread.interrupt();
    if (following != null) {
      following.close();
    }
  }
}
