package io.cvpipe.train;

import io.cvpipe.engine.Engine;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Rank 0's files: after each epoch the checkpoint (weights, on SET's scoring epochs the model to score with, then
 * {@code epoch.properties}, which marks it complete), the pruning of older weights, and the publication of the run directory; at the end the exported
 * models (final, EMA, best).
 */
final class CheckpointWriter implements TrainingListener {

  private final TrainSettings settings;
  private final List<String> labels;
  private final RunDirectory runDirectory;
  private final float[] mean;
  private final float[] std;
  private final PrintStream log;

  CheckpointWriter(TrainSettings settings, List<String> labels, RunDirectory runDirectory, float[] mean, float[] std,
      PrintStream log) {
    this.settings = settings;
    this.labels = labels;
    this.runDirectory = runDirectory;
    this.mean = mean;
    this.std = std;
    this.log = log;
  }

  @Override
  public void onEpoch(Engine engine, EpochMetrics epoch, List<EpochMetrics> all) {
    Path checkpoint = Path.of(epoch.checkpoint());
    engine.saveCheckpoint(checkpoint);
    if (settings.set().scoresAfter(epoch.epoch(), settings.epochs())) {
      // before the checkpoint is complete: a complete scoring epoch always has the model SET scores with
      ModelExport.write(engine, SetScoring.model(runDirectory.local(), epoch.epoch()), settings, labels, epoch, mean,
          std, engine.hasEma());
    }
    Checkpoints.complete(checkpoint, epoch);
    Checkpoints.prune(all, settings.keepBest());
    runDirectory.publish();
  }

  @Override
  public void onTrainingEnd(Engine engine, List<EpochMetrics> all) {
    export(engine, runDirectory.local(), all);
    runDirectory.publish();
    if (!runDirectory.location().equals(runDirectory.local().toString())) {
      log.printf(Locale.ROOT, "train %s: checkpoints and models published to %s%n", settings.run(),
          runDirectory.location());
    }
  }

  /**
   * The final model, its EMA twin when there is one, and the best one by validation top-1 (the final one without
   * validation), as SavedModels.
   */
  private void export(Engine engine, Path runDir, List<EpochMetrics> metrics) {
    EpochMetrics last = metrics.get(metrics.size() - 1);
    EpochMetrics best = last;
    for (EpochMetrics m : metrics) {
      if (m.top1() != null && (best.top1() == null || m.top1() > best.top1())) {
        best = m;
      }
    }
    ModelExport.write(engine, runDir.resolve("final"), settings, labels, last, mean, std, false);
    if (engine.hasEma()) {
      ModelExport.write(engine, runDir.resolve("ema"), settings, labels, last, mean, std, true);
    }
    if (best != last) {
      engine.restoreCheckpoint(Path.of(best.checkpoint()));
    }
    ModelExport.write(engine, runDir.resolve("best"), settings, labels, best, mean, std, false);
    log.printf(Locale.ROOT, "train %s: exported %s (epoch %d)%s and %s (epoch %d%s)%n", settings.run(),
        runDir.resolve("final"), last.epoch(), engine.hasEma() ? ", " + runDir.resolve("ema") + " (its EMA weights)" : "",
        runDir.resolve("best"), best.epoch(), best.top1() == null ? "" : String.format(Locale.ROOT, ", top-1 %.4f", best.top1()));
  }
}
