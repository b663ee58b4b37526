package io.cvpipe.train.input;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomErasing;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.train.sampler.BatchPlan;
import io.cvpipe.train.sampler.Sampler;
import io.cvpipe.train.sampler.SamplerKind;
import io.cvpipe.train.sampler.SamplerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestBatchLoader {

  private static InMemorySamples samples(int n) {
    InMemorySamples s = new InMemorySamples();
    Random rnd = new Random(5);
    for (int i = 0; i < n; i++) {
      s.add(1000 + i, i % 4, SyntheticImages.jpeg(SyntheticImages.shape(i % 4, 60, 40, rnd), 0.9f));
    }
    return s;
  }

  private static List<LoadedBatch> load(List<BatchPlan> plans, SampleStore store, View view, int epoch, List<String> warnings) {
    return load(plans, store, view, RandomResizedCrop.CROP_FRACTION, epoch, warnings);
  }

  private static List<LoadedBatch> load(List<BatchPlan> plans, SampleStore store, View view, double cropFraction, int epoch,
      List<String> warnings) {
    return load(plans, store, view, RandomErasing.NONE, cropFraction, epoch, warnings);
  }

  private static List<LoadedBatch> load(List<BatchPlan> plans, SampleStore store, View view, RandomErasing erasing,
      double cropFraction, int epoch, List<String> warnings) {
    List<LoadedBatch> out = new ArrayList<>();
    try (BatchLoader loader = BatchLoader.builder(plans, store).view(view)
        .augmentation(RandomResizedCrop.IMAGENET, erasing).cropFraction(cropFraction)
        .normalisation(Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD).seed(11, epoch).threads(2, 3)
        .warnings(m -> { synchronized (warnings) { warnings.add(m); } }).build()) {
      loader.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void batchesFollowThePlanAtEachCropSizeAndReplayExactly() {
    InMemorySamples store = samples(40);
    List<BatchPlan> plans = new Sampler(new SamplerSpec(SamplerKind.MSC_VBS, 32, 32, 8, 16, 48, 3, 8), 1).epoch(40, 0, 0, 1);

    List<LoadedBatch> first = load(plans, store, View.TRAIN, 0, new ArrayList<>());
    List<LoadedBatch> again = load(plans, store, View.TRAIN, 0, new ArrayList<>());
    List<LoadedBatch> nextEpoch = load(plans, store, View.TRAIN, 1, new ArrayList<>());

    assertThat(first).hasSameSizeAs(plans);
    for (int b = 0; b < plans.size(); b++) {
      assertThat(first.get(b).images().height()).isEqualTo(plans.get(b).cropHeight());
      assertThat(first.get(b).images().count()).isEqualTo(plans.get(b).size());
      assertThat(first.get(b).images().pixels()).containsExactly(again.get(b).images().pixels());
      for (int k = 0; k < plans.get(b).size(); k++) {
        assertThat(first.get(b).labels()[k]).isEqualTo(plans.get(b).indices()[k] % 4);
      }
    }
    assertThat(first.get(0).images().pixels()).isNotEqualTo(nextEpoch.get(0).images().pixels());
  }

  @Test
  void recycledPixelArraysAreReusedAndGiveTheSameBatches() {
    InMemorySamples store = samples(40);
    // Five batches of one size, prefetch 1: at most two arrays are in use at once (the batch the caller holds and
    // the one being loaded), and a new array is made only when none is handed back, so however the threads
    // interleave, two arrays serve all five (MSc-VBS sizes would make the count depend on which sizes follow which).
    List<BatchPlan> plans = new Sampler(new SamplerSpec(SamplerKind.SSC_FBS, 32, 32, 8, 32, 32, 1, 8), 1).epoch(40, 0, 0, 1);
    assertThat(plans).hasSize(5);
    List<LoadedBatch> fresh = load(plans, store, View.TRAIN, 0, new ArrayList<>());

    List<float[]> copies = new ArrayList<>();
    java.util.Set<float[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    try (BatchLoader loader = BatchLoader.builder(plans, store).view(View.TRAIN)
        .augmentation(RandomResizedCrop.IMAGENET, RandomErasing.NONE).cropFraction(RandomResizedCrop.CROP_FRACTION)
        .normalisation(Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD).seed(11, 0).threads(2, 1).warnings(m -> { })
        .build()) {
      while (loader.hasNext()) {
        LoadedBatch batch = loader.next();
        copies.add(batch.images().pixels().clone());
        arrays.add(batch.images().pixels());
        loader.recycle(batch);
      }
    }
    for (int b = 0; b < plans.size(); b++) {
      assertThat(copies.get(b)).as("batch " + b).containsExactly(fresh.get(b).images().pixels());
    }
    assertThat(arrays).as("distinct pixel arrays for %d batches", plans.size()).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void keptDecodedImagesGiveTheSameBatchesWithinTheirBudget() throws Exception {
    List<BatchPlan> plans = new Sampler(new SamplerSpec(SamplerKind.MSC_VBS, 32, 32, 8, 16, 48, 3, 8), 1).epoch(40, 0, 0, 1);
    List<LoadedBatch> decodedEachTime = load(plans, samples(40), View.TRAIN, 0, new ArrayList<>());
    long oneImage = 60 * 40 * 3; // a 60x40 colour JPEG decodes to 3 bytes a pixel

    InMemorySamples all = samples(40);
    all.keepDecoded(1L << 30);
    for (int epoch = 0; epoch < 2; epoch++) { // the second epoch reads only kept images
      List<LoadedBatch> batches = load(plans, all, View.TRAIN, 0, new ArrayList<>());
      for (int b = 0; b < plans.size(); b++) {
        assertThat(batches.get(b).images().pixels()).as("epoch %d, batch %d", epoch, b)
            .containsExactly(decodedEachTime.get(b).images().pixels());
      }
      assertThat(all.decodedBytes()).isEqualTo(40 * oneImage);
    }
    assertThat(all.decode(7)).isSameAs(all.decode(7));

    InMemorySamples some = samples(40);
    some.keepDecoded(10 * oneImage + oneImage / 2);
    load(plans, some, View.TRAIN, 0, new ArrayList<>());
    assertThat(some.decodedBytes()).isEqualTo(10 * oneImage);
    InMemorySamples none = samples(40);
    none.keepDecoded(0);
    assertThat(load(plans, none, View.TRAIN, 0, new ArrayList<>()).get(0).images().pixels())
        .containsExactly(decodedEachTime.get(0).images().pixels());
    assertThat(none.decodedBytes()).isZero();
    assertThat(none.decode(7)).isNotSameAs(none.decode(7));
  }

  @Test
  void theValidationViewIsTheCentreCropOfTheGivenFraction() throws Exception {
    InMemorySamples store = samples(2);
    for (double fraction : new double[] {RandomResizedCrop.CROP_FRACTION, 1.0}) {
      LoadedBatch batch = load(List.of(new BatchPlan(24, 24, new int[] {1})), store, View.EVAL, fraction, 0,
          new ArrayList<>()).get(0);
      // a 60x40 source: its centred 35x35 square (40 * 0.875) or 40x40, resized to 24x24
      java.awt.image.BufferedImage image = Pixels.decode(store.image(1));
      CropBox box = RandomResizedCrop.centre(image.getHeight(), image.getWidth(), 24, fraction);
      assertThat(box.height()).isEqualTo((int) Math.round(40 * fraction));
      float[] expected = new float[24 * 24 * 3];
      Pixels.render(image, box, 24, 24, 3, Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD, expected, 0);
      assertThat(batch.images().pixels()).as("fraction " + fraction).containsExactly(expected);
    }
  }

  @Test
  void randomErasingZeroesOneBoxOfEachTrainingImageAndLeavesTheRestAsItWas() {
    InMemorySamples store = samples(24);
    List<BatchPlan> plans = new Sampler(new SamplerSpec(SamplerKind.SSC_FBS, 32, 32, 8, 32, 32, 1, 8), 1).epoch(24, 0, 0, 1);
    List<LoadedBatch> plain = load(plans, store, View.TRAIN, RandomErasing.NONE, RandomResizedCrop.CROP_FRACTION, 0,
        new ArrayList<>());
    List<LoadedBatch> erased = load(plans, store, View.TRAIN, new RandomErasing(1), RandomResizedCrop.CROP_FRACTION, 0,
        new ArrayList<>());
    List<LoadedBatch> validation = load(plans, store, View.EVAL, new RandomErasing(1), RandomResizedCrop.CROP_FRACTION, 0,
        new ArrayList<>());
    List<LoadedBatch> validationPlain = load(plans, store, View.EVAL, RandomResizedCrop.CROP_FRACTION, 0, new ArrayList<>());

    int size = 32;
    int per = size * size * 3;
    int images = 0;
    double areas = 0;
    for (int b = 0; b < plans.size(); b++) {
      float[] before = plain.get(b).images().pixels();
      float[] after = erased.get(b).images().pixels();
      assertThat(validation.get(b).images().pixels()).containsExactly(validationPlain.get(b).images().pixels());
      for (int k = 0; k < plans.get(b).size(); k++, images++) {
        int top = size, left = size, bottom = -1, right = -1;
        for (int i = 0; i < per; i++) {
          float was = before[k * per + i];
          float is = after[k * per + i];
          if (was != is) {
            assertThat(is).as("an erased pixel is set to the mean, 0 after normalisation").isZero();
            int pixel = i / 3;
            top = Math.min(top, pixel / size);
            bottom = Math.max(bottom, pixel / size);
            left = Math.min(left, pixel % size);
            right = Math.max(right, pixel % size);
          }
        }
        assertThat(bottom).as("image %d of batch %d has an erased box", k, b).isGreaterThanOrEqualTo(0);
        for (int y = top; y <= bottom; y++) {
          for (int x = left; x <= right; x++) {
            for (int c = 0; c < 3; c++) {
              assertThat(after[k * per + (y * size + x) * 3 + c]).as("the erased region is one box").isZero();
            }
          }
        }
        double area = (bottom - top + 1) * (right - left + 1) / (double) (size * size);
        assertThat(area).isBetween(0.005, 0.4);
        areas += area;
      }
    }
    assertThat(areas / images).as("the mean erased area (2%%-33%% drawn uniformly)").isBetween(0.08, 0.26);
  }

  @Test
  void anUndecodableSampleIsReportedAndSkipped() {
    InMemorySamples store = samples(3);
    store.add(77, 1, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
    List<String> warnings = new ArrayList<>();

    List<LoadedBatch> batches = load(List.of(new BatchPlan(24, 24, new int[] {0, 3, 1, 2})), store, View.EVAL, 0, warnings);

    assertThat(batches.get(0).images().count()).isEqualTo(3);
    assertThat(batches.get(0).skipped()).isEqualTo(1);
    assertThat(batches.get(0).sampleIds()).containsExactly(1000, 1001, 1002);
    assertThat(warnings).singleElement().asString().contains("sample_id 77");
  }

  @Test
  void aBatchSplitBetweenWorkersIsTheBatchOneWorkerLoadsAndSkipsInEveryPart() {
    InMemorySamples store = samples(20);
    store.add(77, 1, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
    store.add(78, 2, new byte[] {1, 2, 3});
    // 16 views, the undecodable ones in the first and the last of three parts
    int[] withBad = {0, 1, 20, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 21, 12, 13};
    int[] good = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    List<String> warnings = new ArrayList<>();
    // with a reinforcement that shows no stored view, every sample has a one-hot target, compacted with the rest
    Reinforcement none = new Reinforcement(StoredAugmentations.builder().build(), 0.0);

    LoadedBatch split = loadWith(3, new BatchPlan(32, 32, withBad), store, none, warnings);
    LoadedBatch alone = loadWith(1, new BatchPlan(32, 32, withBad), store, none, new ArrayList<>());
    LoadedBatch clean = loadWith(1, new BatchPlan(32, 32, good), store, none, new ArrayList<>());

    assertThat(split.skipped()).isEqualTo(2);
    assertThat(split.images().count()).isEqualTo(14);
    assertThat(split.labels()).containsExactly(clean.labels());
    assertThat(split.sampleIds()).containsExactly(clean.sampleIds());
    // each view depends on (seed, epoch, sample id) only: the same pixels wherever its slot was
    assertThat(split.images().pixels()).containsExactly(alone.images().pixels());
    assertThat(split.images().pixels()).containsExactly(clean.images().pixels());
    assertThat(split.targets()).containsExactly(clean.targets());
    for (int k = 0; k < 14; k++) {
      assertThat(split.targets()[k * 4 + split.labels()[k]]).as("one-hot target of view " + k).isEqualTo(1f);
    }
    // the first and the last part ran on different workers (a fixed pool starts a thread per task it is given)
    assertThat(warnings).hasSize(2).anySatisfy(m -> assertThat(m).contains("sample_id 77"))
        .anySatisfy(m -> assertThat(m).contains("sample_id 78"));
    assertThat(warnings.stream().map(m -> m.substring(0, m.indexOf(':'))).distinct()).hasSize(2);
  }

  private static LoadedBatch loadWith(int threads, BatchPlan plan, SampleStore store, Reinforcement reinforcement,
      List<String> warnings) {
    try (BatchLoader loader = BatchLoader.builder(List.of(plan), store).view(View.TRAIN)
        .augmentation(RandomResizedCrop.IMAGENET, RandomErasing.NONE).cropFraction(RandomResizedCrop.CROP_FRACTION)
        .normalisation(Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD).seed(11, 0).threads(threads, 1)
        .reinforcement(reinforcement, 4)
        .warnings(m -> { synchronized (warnings) { warnings.add(Thread.currentThread().getId() + ": " + m); } }).build()) {
      return loader.next();
    }
  }
}
