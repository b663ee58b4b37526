package io.cvpipe.common.spark;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A {@link LongAccumulator}'s sum while its job runs, running tasks included. The driver's accumulator only grows
 * when a task finishes, so a job of a few long tasks (an eval over one file) would show no progress until its end.
 * Executors also send each running task's accumulator values with their heartbeats
 * ({@code spark.executor.heartbeatInterval}, 10 s by default): this listener keeps the last value each task sent,
 * replaced by the task's final value when it succeeds and dropped when it fails (its retry counts again), and adds
 * them up. At the end it equals the accumulator's value.
 */
public final class LiveCount extends SparkListener implements LongSupplier, AutoCloseable {

  private final SparkContext context;
  private final long id;
  private final Map<Long, Long> byTask = new HashMap<>();
  private final Set<Long> ended = new HashSet<>();

  private LiveCount(SparkContext context, LongAccumulator accumulator) {
    this.context = context;
    this.id = accumulator.id();
  }

  /** Starts following {@code accumulator}'s updates on {@code context}'s listener bus; close to stop. */
  public static LiveCount of(SparkContext context, LongAccumulator accumulator) {
    LiveCount count = new LiveCount(context, accumulator);
    context.addSparkListener(count);
    return count;
  }

  @Override
  public synchronized void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
        : CollectionConverters.asJava(update.accumUpdates())) {
      long taskId = (Long) task._1();
      if (!ended.contains(taskId)) { // a heartbeat can arrive after its task's end
        Long value = valueOf(task._4());
        if (value != null) {
          byTask.put(taskId, value);
        }
      }
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    long taskId = end.taskInfo().taskId();
    ended.add(taskId);
    Long value = end.taskInfo().successful() ? valueOf(end.taskInfo().accumulables()) : null;
    if (value == null) {
      byTask.remove(taskId);
    } else {
      byTask.put(taskId, value);
    }
  }

  /** This accumulator's value in one task's updates, or null when they do not carry it. */
  private Long valueOf(scala.collection.Seq<AccumulableInfo> infos) {
    for (AccumulableInfo info : CollectionConverters.asJava(infos)) {
      if (info.id() == id && info.update().isDefined() && info.update().get() instanceof Long v) {
        return v;
      }
    }
    return null;
  }

  @Override
  public synchronized long getAsLong() {
    return byTask.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public void close() {
    context.removeSparkListener(this);
  }
}
