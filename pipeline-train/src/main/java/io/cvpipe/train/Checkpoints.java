package io.cvpipe.train;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A run's checkpoints: {@code <models-dir>/<run>/checkpoints/epoch-NNNN/} with the engine's variables and
 * {@code epoch.properties}, the epoch's metrics, written last (atomically): its presence is what makes a
 * checkpoint complete, so a run killed while saving resumes from the epoch before.
 */
final class Checkpoints {

  private static final String METRICS = "epoch.properties";

  private Checkpoints() {}

  static Path directory(Path runDir, int epoch) {
    return runDir.resolve("checkpoints").resolve(String.format(Locale.ROOT, "epoch-%04d", epoch));
  }

  static void complete(Path dir, EpochMetrics m) {
    Properties p = new Properties();
    p.setProperty("epoch", String.valueOf(m.epoch()));
    p.setProperty("train_loss", String.valueOf(m.trainLoss()));
    p.setProperty("val_loss", m.valLoss() == null ? "" : String.valueOf(m.valLoss()));
    p.setProperty("top1", m.top1() == null ? "" : String.valueOf(m.top1()));
    p.setProperty("top5", m.top5() == null ? "" : String.valueOf(m.top5()));
    p.setProperty("ema_val_loss", m.emaValLoss() == null ? "" : String.valueOf(m.emaValLoss()));
    p.setProperty("ema_top1", m.emaTop1() == null ? "" : String.valueOf(m.emaTop1()));
    p.setProperty("ema_top5", m.emaTop5() == null ? "" : String.valueOf(m.emaTop5()));
    p.setProperty("learning_rate", String.valueOf(m.learningRate()));
    p.setProperty("images_per_second", String.valueOf(m.imagesPerSecond()));
    p.setProperty("seconds", String.valueOf(m.seconds()));
    p.setProperty("skipped", String.valueOf(m.skipped()));
    p.setProperty("steps", String.valueOf(m.steps()));
    p.setProperty("full_steps", String.valueOf(m.fullSteps()));
    p.setProperty("set_skipped", String.valueOf(m.setSkipped()));
    try {
      Path tmp = dir.resolve(METRICS + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "cvpipe epoch metrics; this file marks the checkpoint complete");
      }
      Files.move(tmp, dir.resolve(METRICS), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(METRICS), e);
    }
  }

  /** The complete checkpoints of a run, epochs 1..k in order (stops at the first gap). */
  static List<EpochMetrics> completed(Path runDir) {
    List<EpochMetrics> out = new ArrayList<>();
    for (int epoch = 1; ; epoch++) {
      Path dir = directory(runDir, epoch);
      Path file = dir.resolve(METRICS);
      if (!Files.isRegularFile(file)) {
        return out;
      }
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      out.add(new EpochMetrics(epoch, Double.parseDouble(p.getProperty("train_loss")), optional(p, "val_loss"),
          optional(p, "top1"), optional(p, "top5"), optional(p, "ema_val_loss"), optional(p, "ema_top1"),
          optional(p, "ema_top5"), Double.parseDouble(p.getProperty("learning_rate")),
          Double.parseDouble(p.getProperty("images_per_second")), Double.parseDouble(p.getProperty("seconds")),
          Long.parseLong(p.getProperty("skipped")), Long.parseLong(p.getProperty("steps", "0")),
          Long.parseLong(p.getProperty("full_steps", "0")), Long.parseLong(p.getProperty("set_skipped", "0")),
          dir.toString()));
    }
  }

  /**
   * Frees the weights of checkpoints that are neither the latest (resume needs it) nor among the
   * {@code keepBest} best by validation top-1 (the best export needs those); their metrics stay.
   */
  static void prune(List<EpochMetrics> metrics, int keepBest) {
    if (metrics.isEmpty()) {
      return;
    }
    EpochMetrics latest = metrics.get(metrics.size() - 1);
    List<EpochMetrics> best = metrics.stream().filter(m -> m.top1() != null)
        .sorted((a, b) -> a.top1().equals(b.top1()) ? Integer.compare(b.epoch(), a.epoch()) : Double.compare(b.top1(), a.top1()))
        .limit(keepBest).toList();
    for (EpochMetrics m : metrics) {
      if (m == latest || best.contains(m)) {
        continue;
      }
      try (Stream<Path> files = Files.list(Path.of(m.checkpoint()))) {
        for (Path f : files.filter(f -> !f.getFileName().toString().equals(METRICS)).toList()) {
          Files.delete(f);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prune checkpoint " + m.checkpoint(), e);
      }
    }
  }

  /** Whether the run has any checkpoint directory at all (complete or not). */
  static boolean any(Path runDir) {
    Path dir = runDir.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Double optional(Properties p, String key) {
    String v = p.getProperty(key, "");
    return v.isEmpty() ? null : Double.valueOf(v);
  }
}
