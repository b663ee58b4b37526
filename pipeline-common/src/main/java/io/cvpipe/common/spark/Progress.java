package io.cvpipe.common.spark;

import io.cvpipe.common.Logging;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Prints "what: done/total (pct), rate/s" on the console every interval while a Spark job runs, from a
 * counter the tasks add to (a LongAccumulator, which reaches the driver as tasks finish).
 */
public final class Progress implements AutoCloseable {

  private final String what;
  private final String unit;
  private final long total;
  private final LongSupplier done;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Thread thread;

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
  public static Progress start(String what, String unit, long total, LongSupplier done, Duration interval) {
    Progress progress = new Progress(what, unit, total, done, interval, LINES);
    if (!interval.isZero()) {
      progress.thread.start();
    }
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
  }
}
