package io.cvpipe.train.input;

import io.cvpipe.common.augment.AugmentReplay;
import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomErasing;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.train.sampler.BatchPlan;
import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Decodes and augments the batches of an epoch on worker threads, {@code prefetch} batches ahead of the engine, in
 * plan order; each batch is split between the workers, one contiguous part of at least 4 views per worker.
 * Augmentation parameters are a pure function of (seed, epoch, sample id), so a resumed epoch sees the same crops.
 * A sample that fails to decode is reported and left out of its batch.
 */
public final class BatchLoader implements Iterator<LoadedBatch>, AutoCloseable {

  /** Views below which a batch is not split further between workers (the split has its own cost). */
  private static final int MIN_PART_VIEWS = 4;

  private final Iterator<BatchPlan> plans;
  private final SampleStore samples;
  private final View view;
  private final RandomResizedCrop crop;
  private final RandomErasing erasing;
  private final double cropFraction;
  private final int channels;
  private final float[] mean;
  private final float[] std;
  private final long seed;
  private final int epoch;
  private final Consumer<String> warnings;
  private final ExecutorService workers;
  private final ArrayDeque<Pending> ahead = new ArrayDeque<>();
  private final int prefetch;
  private final int threads;
  private final Reinforcement reinforcement;
  private final int classes;
  /** Pixel arrays of batches the caller has finished with ({@link #recycle}), for later batches of their size. */
  private final ConcurrentLinkedQueue<float[]> spare = new ConcurrentLinkedQueue<>();

  /** A loader of {@code plans} over {@code samples}; the builder checks the rest before any thread starts. */
  public static Builder builder(List<BatchPlan> plans, SampleStore samples) {
    return new Builder(plans, samples);
  }

  /**
   * What a loader needs besides its plans and samples. Required: the view and the normalisation. {@code crop}
   * and {@code erasing} are the training view's RandomResizedCrop and RandomErasing, {@code cropFraction} the
   * validation view's centre crop as a fraction of the shorter side; each view ignores the other's. With a
   * reinforcement (training view only), a sample shown a stored augmentation is replayed exactly (at the batch's
   * crop size) and its target is the teachers' top-k spread over the classes; the others get the training view
   * and a one-hot target.
   */
  public static final class Builder {
    private final List<BatchPlan> plans;
    private final SampleStore samples;
    private View view;
    private RandomResizedCrop crop = RandomResizedCrop.IMAGENET;
    private RandomErasing erasing = RandomErasing.NONE;
    private double cropFraction = RandomResizedCrop.CROP_FRACTION;
    private float[] mean;
    private float[] std;
    private long seed;
    private int epoch;
    private int threads = 1;
    private int prefetch = 1;
    private Consumer<String> warnings = message -> {};
    private Reinforcement reinforcement;
    private int classes;

    private Builder(List<BatchPlan> plans, SampleStore samples) {
      this.plans = plans;
      this.samples = samples;
    }

    public Builder view(View view) {
      this.view = view;
      return this;
    }

    public Builder augmentation(RandomResizedCrop crop, RandomErasing erasing) {
      this.crop = crop;
      this.erasing = erasing;
      return this;
    }

    public Builder cropFraction(double cropFraction) {
      this.cropFraction = cropFraction;
      return this;
    }

    /** Per-channel mean and standard deviation; their length is the images' channel count (1 or 3). */
    public Builder normalisation(float[] mean, float[] std) {
      this.mean = mean;
      this.std = std;
      return this;
    }

    /** Augmentation is a function of (seed, epoch, sample id). */
    public Builder seed(long seed, int epoch) {
      this.seed = seed;
      this.epoch = epoch;
      return this;
    }

    /** Decode threads and how many batches they prepare ahead of the consumer. */
    public Builder threads(int threads, int prefetch) {
      this.threads = threads;
      this.prefetch = prefetch;
      return this;
    }

    /**
     * Where a sample that fails to decode is reported (it is left out of its batch); called from the worker
     * threads, possibly at once.
     */
    public Builder warnings(Consumer<String> warnings) {
      this.warnings = warnings;
      return this;
    }

    public Builder reinforcement(Reinforcement reinforcement, int classes) {
      this.reinforcement = reinforcement;
      this.classes = classes;
      return this;
    }

    public BatchLoader build() {
      if (view == null) {
        throw new IllegalStateException("a BatchLoader needs a view (TRAIN or EVAL)");
      }
      if (mean == null || std == null || mean.length != std.length || (mean.length != 1 && mean.length != 3)) {
        throw new IllegalStateException("a BatchLoader needs a mean and a standard deviation per channel (1 or 3)");
      }
      if (threads < 1 || prefetch < 1) {
        throw new IllegalStateException("threads and prefetch must be at least 1, got " + threads + " and " + prefetch);
      }
      if (!(cropFraction > 0 && cropFraction <= 1)) {
        throw new IllegalStateException("the centre crop fraction must be above 0 and at most 1, got " + cropFraction);
      }
      if (reinforcement != null && (view != View.TRAIN || classes < 2)) {
        throw new IllegalStateException("a reinforcement is replayed in the training view, over 2 or more classes");
      }
      return new BatchLoader(this);
    }
  }

  private BatchLoader(Builder b) {
    List<BatchPlan> plans = b.plans;
    SampleStore samples = b.samples;
    View view = b.view;
    RandomResizedCrop crop = b.crop;
    RandomErasing erasing = b.erasing;
    double cropFraction = b.cropFraction;
    int channels = b.mean.length;
    float[] mean = b.mean;
    float[] std = b.std;
    long seed = b.seed;
    int epoch = b.epoch;
    int threads = b.threads;
    int prefetch = b.prefetch;
    Consumer<String> warnings = b.warnings;
    Reinforcement reinforcement = b.reinforcement;
    int classes = b.classes;
    this.reinforcement = view == View.TRAIN ? reinforcement : null;
    this.classes = classes;
    this.plans = plans.iterator();
    this.samples = samples;
    this.view = view;
    this.crop = crop;
    this.erasing = erasing;
    this.cropFraction = cropFraction;
    this.channels = channels;
    this.mean = mean;
    this.std = std;
    this.seed = seed;
    this.epoch = epoch;
    this.warnings = warnings;
    this.prefetch = Math.max(1, prefetch);
    this.threads = Math.max(1, threads);
    this.workers = Executors.newFixedThreadPool(this.threads, r -> {
      Thread t = new Thread(r, "cvpipe-loader");
      t.setDaemon(true);
      return t;
    });
    fill();
  }

  private void fill() {
    while (ahead.size() < prefetch && plans.hasNext()) {
      ahead.add(new Pending(plans.next()));
    }
  }

  @Override
  public boolean hasNext() {
    return !ahead.isEmpty();
  }

  @Override
  public LoadedBatch next() {
    if (ahead.isEmpty()) {
      throw new NoSuchElementException();
    }
    try {
      LoadedBatch batch = ahead.poll().get();
      fill();
      return batch;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading a batch", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("loading a batch failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * A batch being loaded: its views split into one contiguous part per worker, so that all the workers render it
   * together. On CPUs that share their cores with the engine this matters: the engine splits each operation
   * statically between its threads, so a lone loader thread slows one of them and the other waits for it, while
   * loader threads on every core slow them evenly.
   */
  private final class Pending {
    private final BatchPlan plan;
    /** Floats per view. */
    private final int per;
    private final float[] pixels;
    private final int[] labels;
    private final long[] ids;
    private final float[] targets;
    /** Whether each position of the plan was loaded (false: it was skipped, and reported). */
    private final boolean[] loaded;
    private final List<Future<?>> parts = new ArrayList<>();

    Pending(BatchPlan plan) {
      this.plan = plan;
      int size = plan.size();
      this.per = plan.cropHeight() * plan.cropWidth() * channels;
      this.pixels = pixels(size * per);
      this.labels = new int[size];
      this.ids = new long[size];
      this.targets = reinforcement == null ? null : new float[size * classes];
      this.loaded = new boolean[size];
      int count = Math.max(1, Math.min(threads, size / MIN_PART_VIEWS));
      for (int part = 0; part < count; part++) {
        int from = (int) ((long) size * part / count);
        int to = (int) ((long) size * (part + 1) / count);
        parts.add(workers.submit(() -> load(from, to)));
      }
    }

    /** Loads the views at positions {@code from .. to - 1} of the plan into their slots. */
    private void load(int from, int to) {
      int h = plan.cropHeight();
      int w = plan.cropWidth();
      for (int n = from; n < to; n++) {
        int index = plan.indices()[n];
        long id = samples.sampleId(index);
        try {
          BufferedImage image = samples.decode(index);
          Random random = stream(seed, epoch, id);
          StoredAugmentation stored = reinforcement == null ? null : reinforcement.pick(id, random);
          if (stored != null) {
            Augmentation a = stored.augmentation();
            BufferedImage partner = a.mixing() == null ? null : partner(a.mixing().partnerId());
            AugmentReplay.render(image, a, partner, h, w, channels, mean, std, pixels, n * per);
            stored.teacher().expand(classes, targets, n * classes);
          } else {
            CropBox box = view == View.TRAIN
                ? crop.draw(image.getHeight(), image.getWidth(), random)
                : RandomResizedCrop.centre(image.getHeight(), image.getWidth(), Math.min(h, w), cropFraction);
            Pixels.render(image, box, h, w, channels, mean, std, pixels, n * per);
            Augmentation.Box erased = view == View.TRAIN ? erasing.draw(random) : null;
            if (erased != null) {
              AugmentReplay.erase(pixels, n * per, erased, h, w, channels);
            }
            if (targets != null) {
              Arrays.fill(targets, n * classes, (n + 1) * classes, 0f);
              targets[n * classes + samples.label(index)] = 1f;
            }
          }
          labels[n] = samples.label(index);
          ids[n] = id;
          loaded[n] = true;
        } catch (Exception e) {
          warnings.accept("train: skipping sample_id " + id + ": cannot decode it (" + e.getMessage() + ")");
        }
      }
    }

    /** The batch once every part is loaded, the skipped samples left out (the others keep their order). */
    LoadedBatch get() throws InterruptedException, ExecutionException {
      try {
        for (Future<?> part : parts) {
          part.get();
        }
      } catch (InterruptedException | ExecutionException | RuntimeException e) {
        parts.forEach(part -> part.cancel(true)); // the batch is lost: free the workers
        throw e;
      }
      int h = plan.cropHeight();
      int w = plan.cropWidth();
      int n = 0;
      for (int i = 0; i < loaded.length; i++) {
        if (!loaded[i]) {
          continue;
        }
        if (n != i) {
          System.arraycopy(pixels, i * per, pixels, n * per, per);
          labels[n] = labels[i];
          ids[n] = ids[i];
          if (targets != null) {
            System.arraycopy(targets, i * classes, targets, n * classes, classes);
          }
        }
        n++;
      }
      int skipped = loaded.length - n;
      if (skipped == 0) {
        return new LoadedBatch(new ImageBatch(pixels, n, h, w, channels), labels, ids, targets, 0);
      }
      LoadedBatch shorter = new LoadedBatch(new ImageBatch(Arrays.copyOf(pixels, n * per), n, h, w, channels),
          Arrays.copyOf(labels, n), Arrays.copyOf(ids, n), targets == null ? null : Arrays.copyOf(targets, n * classes),
          skipped);
      spare(pixels); // the full-size array, free again: later batches of this size take it
      return shorter;
    }
  }

  /** A recycled array of this length, or a new one: every element is written before the batch is handed out. */
  private float[] pixels(int length) {
    for (float[] array : spare) {
      if (array.length == length && spare.remove(array)) {
        return array;
      }
    }
    return new float[length];
  }

  /**
   * Says the caller is done with {@code batch} (the engine copied its pixels into a tensor): a later batch of the
   * same size may be loaded into its pixel array, so that the heap does not allocate megabytes per step.
   */
  public void recycle(LoadedBatch batch) {
    if (batch.skipped() == 0) { // a batch with skipped samples is a shorter copy, which no plan's size would take
      spare(batch.images().pixels());
    }
  }

  private void spare(float[] array) {
    if (spare.size() < prefetch + 2) {
      spare.add(array);
    }
  }

  private BufferedImage partner(long partnerId) throws java.io.IOException {
    int index = samples.indexOf(partnerId);
    if (index >= 0) {
      return samples.decode(index);
    }
    BufferedImage image = reinforcement.partner(partnerId);
    if (image == null) {
      throw new IllegalArgumentException("its stored augmentation mixes with sample_id " + partnerId
          + ", which is neither in this share of the training split nor among the partners loaded for it");
    }
    return image;
  }

  /**
   * Sample {@code id}'s random stream in {@code epoch}: its first draws pick its stored augmentation ({@link
   * Reinforcement#pick}), the rest augment its plain view.
   */
  static Random stream(long seed, int epoch, long id) {
    return new Random(mix(seed, epoch, id));
  }

  /** A per-(seed, epoch, sample) random stream (SplitMix64 finaliser over the three). */
  static long mix(long seed, int epoch, long id) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + id;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Stops the workers; parts not started are cancelled, so that nothing waits on them. */
  @Override
  public void close() {
    for (Runnable queued : workers.shutdownNow()) {
      if (queued instanceof Future<?> future) {
        future.cancel(false);
      }
    }
  }
}
