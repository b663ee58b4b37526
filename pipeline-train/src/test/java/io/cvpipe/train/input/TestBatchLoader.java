package io.cvpipe.train.input;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
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
    List<LoadedBatch> out = new ArrayList<>();
    try (BatchLoader loader = new BatchLoader(plans, store, view, RandomResizedCrop.IMAGENET, cropFraction, 3,
        Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD, 11, epoch, 2, 3, warnings::add)) {
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
}
