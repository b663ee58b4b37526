package io.cvpipe.train;

import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomErasing;
import io.cvpipe.common.metrics.ClassificationMetrics;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.train.input.BatchLoader;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.input.Reinforcement;
import io.cvpipe.train.input.SampleStore;
import io.cvpipe.train.input.View;
import io.cvpipe.train.recipe.Targets;
import io.cvpipe.train.sampler.BatchPlan;
import io.cvpipe.train.sampler.Sampler;
import io.cvpipe.train.sampler.SamplerSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop of one task: CVNets' sampler over the task's samples, the prefetching loader, the
 * engine, the schedule; after each epoch a validation pass (top-1, top-5, loss) and a checkpoint. It runs
 * inside a Spark barrier task and knows only its rank and world size, so the distributed issue can start N
 * of them.
 */
final class TrainLoop {

  private final TrainSettings settings;
  private final int classes;
  private final int rank;
  private final int world;
  private final PrintStream log;

  private final List<String> labels;

  TrainLoop(TrainSettings settings, List<String> labels, int rank, int world, PrintStream log) {
    this.settings = settings;
    this.labels = labels;
    this.classes = labels.size();
    this.rank = rank;
    this.world = world;
    this.log = log;
  }

  List<EpochMetrics> run(InMemorySamples train, InMemorySamples val) {
    return run(train, val, null);
  }

  /** {@code reinforcement}: the reinforced dataset's stored augmentations and teacher answers, or null. */
  List<EpochMetrics> run(InMemorySamples train, InMemorySamples val, Reinforcement reinforcement) {
    float[] mean = settings.channels() == 1 ? new float[] {0.5f} : Pixels.IMAGENET_MEAN;
    float[] std = settings.channels() == 1 ? new float[] {0.25f} : Pixels.IMAGENET_STD;
    int threads = settings.loaderThreads() > 0 ? settings.loaderThreads() : Runtime.getRuntime().availableProcessors();
    Sampler sampler = new Sampler(settings.sampler(), settings.seed());
    Path runDir = Path.of(settings.modelsDir(), settings.run());
    List<EpochMetrics> metrics = new ArrayList<>(settings.resume() ? Checkpoints.completed(runDir) : List.of());
    long iteration = 0;
    try (Engine engine = Engines.tensorflow(settings.modelSpec(classes), settings.optimizer(), settings.device(),
        settings.precision())) {
      log.printf(Locale.ROOT, "train %s: %s x%s, %,d parameters, %s, %,d training and %,d validation samples, %s scales %s%n",
          settings.run(), settings.model(), settings.width(), engine.parameterCount(), settings.precision().code(), train.size(),
          val.size(), settings.sampler().kind().code(), sampler.scales());
      int first = metrics.size();
      if (first > 0) {
        // weights, batch-norm statistics and momentum come from the checkpoint; the sampler, augmentation and
        // schedule are functions of (seed, epoch, iteration): the run continues as if never stopped
        engine.restoreCheckpoint(Path.of(metrics.get(first - 1).checkpoint()));
        for (int e = 0; e < first; e++) {
          iteration += sampler.epoch(train.size(), e, rank, world).size();
        }
        log.printf(Locale.ROOT, "train %s: resuming after epoch %d (iteration %d) from %s%n", settings.run(), first,
            iteration, metrics.get(first - 1).checkpoint());
      }
      for (int epoch = first; epoch < settings.epochs(); epoch++) {
        long start = System.nanoTime();
        double lossSum = 0;
        long images = 0;
        long skipped = 0;
        double lr = settings.schedule().at(iteration, epoch);
        List<BatchPlan> plans = sampler.epoch(train.size(), epoch, rank, world);
        int step = 0;
        try (BatchLoader loader = new BatchLoader(plans, train, View.TRAIN, settings.crop(), settings.erasing(),
            settings.valCropFraction(), settings.channels(), mean, std, settings.seed(), epoch, threads,
            settings.prefetch(), log::println, reinforcement, classes)) {
          while (loader.hasNext()) {
            LoadedBatch batch = loader.next();
            skipped += batch.skipped();
            if (batch.images().count() == 0) {
              continue;
            }
            lr = settings.schedule().at(iteration, epoch);
            float loss;
            if (batch.targets() != null) {
              // cross-entropy to the teachers minus their entropy: KL(teacher || student), the reported loss
              loss = (float) (engine.trainStep(batch.images(), batch.targets(), (float) lr)
                  - Targets.entropy(batch.targets(), batch.images().count(), classes));
            } else {
              loss = engine.trainStep(batch.images(),
                  Targets.smoothed(batch.labels(), classes, settings.labelSmoothing()), (float) lr);
            }
            if (!Float.isFinite(loss)) {
              throw new IllegalStateException("train " + settings.run() + ": loss is " + loss + " at epoch " + (epoch + 1)
                  + ", step " + step + " (learning rate " + lr + "). Lower train.lr.max or raise train.lr.warmup-iterations");
            }
            lossSum += loss * batch.images().count();
            images += batch.images().count();
            iteration++;
            step++;
            if (step % settings.logEvery() == 0) {
              double seconds = (System.nanoTime() - start) / 1e9;
              log.printf(Locale.ROOT, "train %s: epoch %d/%d, step %d/%d, loss %.4f, lr %.5f, %.1f img/s%n",
                  settings.run(), epoch + 1, settings.epochs(), step, plans.size(), lossSum / images, lr, images / seconds);
            }
          }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        Evaluation eval = val.size() == 0 ? null : evaluate(engine, val, mean, std, threads);
        Path checkpoint = Checkpoints.directory(runDir, epoch + 1);
        engine.saveCheckpoint(checkpoint);
        ClassificationMetrics liveScores = eval == null ? null : eval.live();
        ClassificationMetrics emaScores = eval == null ? null : eval.ema();
        EpochMetrics m = new EpochMetrics(epoch + 1, images == 0 ? Double.NaN : lossSum / images,
            liveScores == null ? null : liveScores.nll(), liveScores == null ? null : liveScores.top1(),
            liveScores == null ? null : liveScores.top5(), emaScores == null ? null : emaScores.nll(),
            emaScores == null ? null : emaScores.top1(), emaScores == null ? null : emaScores.top5(), lr,
            images / Math.max(1e-9, trainSeconds), (System.nanoTime() - start) / 1e9, skipped + (eval == null ? 0 : eval.skipped()),
            checkpoint.toString());
        Checkpoints.complete(checkpoint, m);
        metrics.add(m);
        Checkpoints.prune(metrics, settings.keepBest());
        log.printf(Locale.ROOT, "train %s: epoch %d/%d done: loss %.4f%s, %.1f img/s, %.0f s%n", settings.run(), m.epoch(),
            settings.epochs(), m.trainLoss(), liveScores == null ? "" : String.format(Locale.ROOT,
                ", val loss %.4f, top-1 %.4f, top-5 %.4f", m.valLoss(), m.top1(), m.top5())
                + (emaScores == null ? "" : String.format(Locale.ROOT, " (EMA: loss %.4f, top-1 %.4f)", m.emaValLoss(),
                    m.emaTop1())), m.imagesPerSecond(), m.seconds());
      }
      if (rank == 0) {
        export(engine, runDir, metrics, mean, std);
      }
    }
    return metrics;
  }

  /**
   * The final model, its EMA twin when there is one, and the best one by validation top-1 (the final one without
   * validation), as SavedModels.
   */
  private void export(Engine engine, Path runDir, List<EpochMetrics> metrics, float[] mean, float[] std) {
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

  private record Evaluation(ClassificationMetrics live, ClassificationMetrics ema, long skipped) {}

  /**
   * Validation view (resize + centre crop at the base size), moving batch-norm statistics; the EMA model, when
   * the engine keeps one, scored on the same decoded batches.
   */
  private Evaluation evaluate(Engine engine, SampleStore val, float[] mean, float[] std, int threads) {
    SamplerSpec base = settings.sampler();
    List<BatchPlan> plans = new ArrayList<>();
    int[] all = new int[val.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    for (int i = 0; i < all.length; i += base.batchSize()) {
      plans.add(new BatchPlan(base.baseHeight(), base.baseWidth(),
          java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + base.batchSize()))));
    }
    ClassificationMetrics live = new ClassificationMetrics(classes);
    ClassificationMetrics ema = engine.hasEma() ? new ClassificationMetrics(classes) : null;
    long skipped = 0;
    try (BatchLoader loader = new BatchLoader(plans, val, View.EVAL, settings.crop(), RandomErasing.NONE,
        settings.valCropFraction(), settings.channels(), mean, std, settings.seed(), 0,
        threads, settings.prefetch(), log::println)) {
      while (loader.hasNext()) {
        LoadedBatch batch = loader.next();
        skipped += batch.skipped();
        int count = batch.images().count();
        if (count == 0) {
          continue;
        }
        add(live, engine.predict(batch.images()), batch.labels(), count);
        if (ema != null) {
          add(ema, engine.predictEma(batch.images()), batch.labels(), count);
        }
      }
    }
    return new Evaluation(live, ema, skipped);
  }

  private void add(ClassificationMetrics metrics, float[] logits, int[] labels, int count) {
    for (int i = 0; i < count; i++) {
      metrics.add(logits, i * classes, labels[i]);
    }
  }
}
