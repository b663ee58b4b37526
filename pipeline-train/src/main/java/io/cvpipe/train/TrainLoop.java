package io.cvpipe.train;

import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.metrics.ClassificationMetrics;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.Execution;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.engine.StepProfile;
import io.cvpipe.train.input.BatchLoader;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.LoadedBatch;
import io.cvpipe.train.input.Reinforcement;
import io.cvpipe.train.input.SampleStore;
import io.cvpipe.train.input.View;
import io.cvpipe.train.loss.Objective;
import io.cvpipe.train.sampler.BatchPlan;
import io.cvpipe.train.sampler.Sampler;
import io.cvpipe.train.sampler.SamplerSpec;
import io.cvpipe.train.set.SkipSet;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training loop of one member of the replica group (one Spark barrier task): CVNets' sampler over the
 * member's share of the epoch, the prefetching loader, the engine, the schedule; after each epoch the group's
 * loss, and on rank 0 a validation pass (top-1, top-5, loss), the checkpoint and, at the end, the exported
 * models. All members take the same number of steps at the same scales (the sampler is seeded by the epoch
 * alone and every share has the same size), so their all-reduces pair up; at each epoch's end they compare
 * their weights' digests.
 */
final class TrainLoop {

  /** A rank's samples in an epoch, and the stored augmentations of those samples on a reinforced dataset. */
  record Share(InMemorySamples samples, Reinforcement reinforcement) {}

  /**
   * A stretch of a run between two of SET's scorings (without SET: the rest of the run): the complete epochs it
   * resumes after, its last epoch, and the samples that sit it out.
   */
  record Segment(List<EpochMetrics> done, int until, SkipSet skips) implements java.io.Serializable {

    Segment {
      done = List.copyOf(done);
    }
  }

  /** The training data of one member, epoch by epoch. */
  interface EpochData {
    /** How many samples this member trains on in {@code epoch} without SET, without loading them. */
    int size(int epoch);

    Share load(int epoch);
  }

  /** Where this loop runs: its rank in a group of {@code world}, the engine's placement, and which attempt of the run this is (1 first). */
  record Member(int rank, int world, Execution execution, int attempt) {

    static Member alone(TrainSettings settings) {
      return new Member(0, 1, Execution.local(settings.device(), settings.precision()), 1);
    }
  }

  private final TrainSettings settings;
  private final int classes;
  private final Member member;
  private final RunDirectory runDirectory;
  private final int rank;
  private final int world;
  private final PrintStream log;

  private final List<String> labels;

  TrainLoop(TrainSettings settings, List<String> labels, PrintStream log) {
    this(settings, labels, Member.alone(settings), RunDirectory.of(settings, new org.apache.hadoop.conf.Configuration()),
        log);
  }

  TrainLoop(TrainSettings settings, List<String> labels, Member member, RunDirectory runDirectory, PrintStream log) {
    this.runDirectory = runDirectory;
    this.settings = settings;
    this.labels = labels;
    this.classes = labels.size();
    this.member = member;
    this.rank = member.rank();
    this.world = member.world();
    this.log = log;
  }

  List<EpochMetrics> run(InMemorySamples train, InMemorySamples val) {
    return run(train, val, null);
  }

  /** {@code reinforcement}: the reinforced dataset's stored augmentations and teacher answers, or null. */
  List<EpochMetrics> run(InMemorySamples train, InMemorySamples val, Reinforcement reinforcement) {
    return run(train, val, reinforcement, null);
  }

  /**
   * One task holding the whole split: {@code segment}'s epochs, or without one (null) the rest of the run, resumed
   * when train.resume says so.
   */
  List<EpochMetrics> run(InMemorySamples train, InMemorySamples val, Reinforcement reinforcement, Segment segment) {
    Share all = new Share(train, reinforcement);
    EpochData data = new EpochData() {
      @Override
      public int size(int epoch) {
        return train.size();
      }

      @Override
      public Share load(int epoch) {
        return all;
      }
    };
    if (segment != null) {
      return run(data, val, segment.done(), segment.until(), segment.skips());
    }
    if (settings.resume()) {
      runDirectory.pull(RunDirectory::metadata);
    }
    return run(data, val, settings.resume() ? Checkpoints.completed(runDirectory.local()) : List.of());
  }

  /** Trains to the end of the run without SET: see {@link #run(EpochData, InMemorySamples, List, int, SkipSet)}. */
  List<EpochMetrics> run(EpochData data, InMemorySamples val, List<EpochMetrics> done) {
    return run(data, val, done, settings.epochs(), SkipSet.NONE);
  }

  /**
   * Trains epochs {@code done.size() + 1 .. until} (resuming from the last of {@code done}, complete checkpoints of
   * this run) without the samples SET leaves out ({@code skips}); returns every epoch's metrics on rank 0, nothing on
   * the others. The models are exported when {@code until} is the run's last epoch.
   */
  List<EpochMetrics> run(EpochData data, InMemorySamples val, List<EpochMetrics> done, int until, SkipSet skips) {
    float[] mean = settings.channels() == 1 ? new float[] {0.5f} : Pixels.IMAGENET_MEAN;
    float[] std = settings.channels() == 1 ? new float[] {0.25f} : Pixels.IMAGENET_STD;
    int threads = settings.loaderThreads() > 0 ? settings.loaderThreads()
        : member.execution().threads() > 0 ? member.execution().threads() : Runtime.getRuntime().availableProcessors();
    val.keepDecoded(settings.decodedCacheBudget());
    Sampler sampler = new Sampler(settings.sampler(), settings.seed());
    Objective objective = Objective.of(classes, settings.labelSmoothing());
    Path runDir = runDirectory.local();
    List<EpochMetrics> metrics = new ArrayList<>();
    if (rank == 0 && !done.isEmpty()) { // the checkpoints' weights (the latest and the best), into this mirror
      runDirectory.pull(relative -> relative.startsWith("checkpoints/"));
    }
    for (EpochMetrics m : done) { // the driver's paths are its own
      metrics.add(m.withCheckpoint(Checkpoints.directory(runDir, m.epoch()).toString()));
    }
    List<TrainingListener> listeners = rank != 0 ? List.of() : List.of(
        new CheckpointWriter(settings, labels, runDirectory, mean, std, log), new ProgressLogger(settings, world, log));
    long iteration = 0;
    try (Engine engine = Engines.tensorflow(settings.modelSpec(classes), settings.optimizer(), member.execution())) {
      if (rank == 0) {
        int side = settings.sampler().baseHeight();
        log.printf(Locale.ROOT, "train %s: %s x%s, %,d parameters, %.3f GFLOPs per %dx%d image, %s%s, %s%,d training "
            + "samples per %s and %,d validation samples, %s scales %s%n", settings.run(), settings.model(),
            settings.width(), engine.parameterCount(),
            Engines.forwardFlops(settings.modelSpec(classes), side, settings.sampler().baseWidth()) / 1e9, side,
            settings.sampler().baseWidth(), settings.precision().code(),
            OneDnn.enabled() ? " (oneDNN)" : " (Eigen's kernels)", world > 1 ? world + " tasks, " : "", data.size(0), world > 1 ? "task" : "epoch",
            val.size(), settings.sampler().kind().code(), sampler.scales());
      }
      int first = metrics.size();
      if (first > 0) {
        // weights, batch-norm statistics and momentum come from the checkpoint (rank 0 reads it and gives it to
        // the others); the deal, sampler, augmentation and schedule are functions of (seed, epoch, iteration):
        // the run continues as if never stopped
        if (rank == 0) {
          engine.restoreCheckpoint(Path.of(metrics.get(first - 1).checkpoint()));
        }
        for (int e = 0; e < first; e++) { // checkpoints before steps were recorded: SET did not exist, so the full count
          long steps = metrics.get(e).steps();
          iteration += steps > 0 ? steps : sampler.epoch(data.size(e), e, 0, 1).size();
        }
        if (rank == 0) {
          log.printf(Locale.ROOT, "train %s: resuming after epoch %d (iteration %d) from %s%n", settings.run(), first,
              iteration, metrics.get(first - 1).checkpoint());
        }
      }
      engine.broadcastState(); // one starting point for the group (a no-op alone)
      for (TrainingListener listener : listeners) {
        listener.onTrainingBegin(engine, List.copyOf(metrics));
      }
      if (rank == 0 && !skips.isEmpty()) {
        log.printf(Locale.ROOT, "train %s: SET: %,d training samples sit out epochs %d to %d (counters of epoch %d in %s)%n",
            settings.run(), skips.size(), first + 1, until, skips.epoch(), Tables.SET_STATE);
      }
      for (int epoch = first; epoch < until; epoch++) {
        long start = System.nanoTime();
        double lossSum = 0;
        long images = 0;
        long skipped = 0;
        double lr = settings.schedule().at(iteration, epoch);
        Share share = data.load(epoch);
        InMemorySamples train = share.samples();
        train.keepDecoded(settings.decodedCacheBudget());
        Reinforcement reinforcement = share.reinforcement();
        List<BatchPlan> plans = plans(sampler, train, skips, epoch);
        long fullSteps = skips.isEmpty() ? plans.size() : sampler.epoch(data.size(epoch), epoch, 0, 1).size();
        int step = 0;
        try (BatchLoader loader = BatchLoader.builder(plans, train).view(View.TRAIN)
            .augmentation(settings.crop(), settings.erasing()).cropFraction(settings.valCropFraction())
            .normalisation(mean, std).seed(settings.seed(), epoch).threads(threads, settings.prefetch())
            .warnings(log::println).reinforcement(reinforcement, classes).build()) {
          while (loader.hasNext()) {
            LoadedBatch batch = loader.next();
            skipped += batch.skipped();
            if (batch.images().count() == 0) {
              if (world > 1) { // the others wait in this step's all-reduce
                throw Errors.input("train " + settings.run() + ": rank " + rank + " could decode no image of its step "
                    + step + " in epoch " + (epoch + 1) + " (see the warnings above); fix or delete those samples");
              }
              continue;
            }
            if (member.attempt() == 1 && rank == settings.crashRank() && iteration == settings.crashStep()) {
              if (settings.crashAsUserError()) {
                throw Errors.state("train.test-hook.crash-rank: rank " + rank + " fails on purpose at step " + iteration
                    + ", as a user error (a test hook)");
              }
              throw new IllegalStateException("train.test-hook.crash-rank: rank " + rank + " fails on purpose at step "
                  + iteration + " (a test hook: only the first attempt fails)");
            }
            lr = settings.schedule().at(iteration, epoch);
            float[] target = objective.targets(batch);
            // a group's logged steps are traced, for the all-reduce's share of the step time
            boolean traced = world > 1 && rank == 0 && (step + 1) % settings.logEvery() == 0;
            StepProfile profile = traced ? engine.profiledTrainStep(batch.images(), target, (float) lr) : null;
            float loss = (float) objective.reported(traced ? profile.loss()
                : engine.trainStep(batch.images(), target, (float) lr), batch);
            if (!Float.isFinite(loss)) {
              throw Errors.state("train " + settings.run() + ": loss is " + loss + " at epoch " + (epoch + 1)
                  + ", step " + step + " (learning rate " + lr + "). Lower train.lr.max or raise train.lr.warmup-iterations");
            }
            lossSum += loss * batch.images().count();
            images += batch.images().count();
            loader.recycle(batch);
            iteration++;
            step++;
            if (!listeners.isEmpty()) {
              TrainingListener.BatchEnd end = new TrainingListener.BatchEnd(epoch + 1, settings.epochs(), step,
                  plans.size(), lossSum / images, lr, images * world / ((System.nanoTime() - start) / 1e9), profile);
              listeners.forEach(l -> l.onBatch(end));
            }
          }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        if (world > 1) { // the group's loss and images, and every rank's skipped samples
          double[] sums = engine.sumOverReplicas(lossSum, images, skipped);
          lossSum = sums[0];
          images = (long) sums[1];
          skipped = (long) sums[2];
        }
        if (rank != 0) {
          meet(engine, epoch);
          continue;
        }
        Evaluation eval = val.size() == 0 ? null : evaluate(engine, val, mean, std, threads);
        Path checkpoint = Checkpoints.directory(runDir, epoch + 1);
        ClassificationMetrics liveScores = eval == null ? null : eval.live();
        ClassificationMetrics emaScores = eval == null ? null : eval.ema();
        EpochMetrics m = new EpochMetrics(epoch + 1, images == 0 ? Double.NaN : lossSum / images,
            liveScores == null ? null : liveScores.nll(), liveScores == null ? null : liveScores.top1(),
            liveScores == null ? null : liveScores.top5(), emaScores == null ? null : emaScores.nll(),
            emaScores == null ? null : emaScores.top1(), emaScores == null ? null : emaScores.top5(), lr,
            images / Math.max(1e-9, trainSeconds), (System.nanoTime() - start) / 1e9, skipped + (eval == null ? 0 : eval.skipped()),
            step, fullSteps, skips.size(), checkpoint.toString());
        metrics.add(m);
        for (TrainingListener listener : listeners) {
          listener.onEpoch(engine, m, metrics);
        }
        meet(engine, epoch);
      }
      if (until == settings.epochs()) {
        for (TrainingListener listener : listeners) {
          listener.onTrainingEnd(engine, metrics);
        }
      }
    }
    return rank == 0 ? metrics : List.of();
  }

  /**
   * The epoch's batches over the samples SET leaves in: the sampler runs over those alone (as CVNets' sampler over
   * its updated index list), and its positions are mapped back to the share's. When SET leaves none, the epoch is
   * one batch of the whole share, so that it still moves, and says so.
   */
  private List<BatchPlan> plans(Sampler sampler, InMemorySamples train, SkipSet skips, int epoch) {
    if (skips.isEmpty()) {
      return sampler.epoch(train.size(), epoch, 0, 1);
    }
    int[] kept = new int[train.size()];
    int n = 0;
    for (int i = 0; i < train.size(); i++) {
      if (!skips.contains(train.sampleId(i))) {
        kept[n++] = i;
      }
    }
    if (n == 0) {
      if (rank == 0) {
        log.printf(Locale.ROOT, "train %s: epoch %d: SET leaves out every one of the %,d samples (all easy after epoch "
            + "%d); the epoch trains on one batch of them so that it still moves%n", settings.run(), epoch + 1,
            train.size(), skips.epoch());
      }
      return sampler.epoch(train.size(), epoch, 0, 1).subList(0, 1);
    }
    List<BatchPlan> plans = new ArrayList<>();
    for (BatchPlan plan : sampler.epoch(n, epoch, 0, 1)) {
      int[] positions = new int[plan.size()];
      for (int i = 0; i < positions.length; i++) {
        positions[i] = kept[plan.indices()[i]];
      }
      plans.add(new BatchPlan(plan.cropHeight(), plan.cropWidth(), positions));
    }
    return plans;
  }

  /**
   * The end of an epoch for the group: every member waits here (in an all-reduce, so within the collective timeout)
   * for rank 0's validation and checkpoint, and the members' weights must be the same bits. They are, unless an
   * all-reduce or the deal went wrong: then stop, loudly. Each member sums the first 20 bits of its weights' digest,
   * and their squares, over the group (exact in float64 up to 4,096 members): the sums are {@code world} times its
   * own only if all digests are equal.
   */
  private void meet(Engine engine, int epoch) {
    if (world == 1) {
      return;
    }
    String digest = engine.weightsDigest();
    double mine = Long.parseLong(digest.substring(0, 5), 16);
    double[] sums = engine.sumOverReplicas(mine, mine * mine);
    if (sums[0] != world * mine || sums[1] != world * mine * mine) {
      throw new IllegalStateException("train " + settings.run() + ": after epoch " + (epoch + 1) + " the replicas' "
          + "weights differ (rank " + rank + " holds " + digest + "); the all-reduce did not keep them in step");
    }
    if (rank == 0) {
      log.printf(Locale.ROOT, "train %s: epoch %d: all %d replicas hold weights %s%n", settings.run(), epoch + 1, world,
          digest);
    }
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
    try (BatchLoader loader = BatchLoader.builder(plans, val).view(View.EVAL).cropFraction(settings.valCropFraction())
        .normalisation(mean, std).seed(settings.seed(), 0).threads(threads, settings.prefetch()).warnings(log::println)
        .build()) {
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
        loader.recycle(batch);
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
