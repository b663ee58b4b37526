package io.cvpipe.train;

import io.cvpipe.engine.Engine;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The console's view of a run: a line every {@code train.log-every} steps (with the group's images/s and, for a
 * traced step, the all-reduce's share) and one per epoch.
 */
final class ProgressLogger implements TrainingListener {

  private final TrainSettings settings;
  private final int world;
  private final PrintStream log;

  ProgressLogger(TrainSettings settings, int world, PrintStream log) {
    this.settings = settings;
    this.world = world;
    this.log = log;
  }

  @Override
  public void onBatch(BatchEnd b) {
    if (b.step() % settings.logEvery() != 0) {
      return;
    }
    log.printf(Locale.ROOT, "train %s: epoch %d/%d, step %d/%d, loss %.4f, lr %.5f, %.1f img/s%s%n", settings.run(),
        b.epoch(), b.epochs(), b.step(), b.steps(), b.meanLoss(), b.learningRate(), b.imagesPerSecond(),
        b.profile() == null ? "" : String.format(Locale.ROOT, " on %d tasks (loss of rank 0), all-reduce %.0f%% of "
            + "this %.0f ms step", world, 100 * b.profile().allReduceShare(), b.profile().stepMillis()));
  }

  @Override
  public void onEpoch(Engine engine, EpochMetrics m, List<EpochMetrics> all) {
    log.printf(Locale.ROOT, "train %s: epoch %d/%d done: loss %.4f%s, %.1f img/s, %.0f s%n", settings.run(), m.epoch(),
        settings.epochs(), m.trainLoss(), m.top1() == null ? "" : String.format(Locale.ROOT,
            ", val loss %.4f, top-1 %.4f, top-5 %.4f", m.valLoss(), m.top1(), m.top5())
            + (m.emaTop1() == null ? "" : String.format(Locale.ROOT, " (EMA: loss %.4f, top-1 %.4f)", m.emaValLoss(),
                m.emaTop1())), m.imagesPerSecond(), m.seconds());
  }
}
