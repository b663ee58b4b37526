package io.cvpipe.train.input;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.augment.Pixels;
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
    List<LoadedBatch> out = new ArrayList<>();
    try (BatchLoader loader = new BatchLoader(plans, store, view, io.cvpipe.common.augment.RandomResizedCrop.IMAGENET, 3, Pixels.IMAGENET_MEAN, Pixels.IMAGENET_STD, 11,
        epoch, 2, 3, warnings::add)) {
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
