package io.cvpipe.train.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestSampler {

  private static SamplerSpec imagenet(SamplerKind kind) {
    return new SamplerSpec(kind, 224, 224, 128, 128, 320, 5, 32);
  }

  @Test
  void variableBatchScalesAreCvnetsImageNetDefaults() {
    List<Scale> scales = imagenet(SamplerKind.MSC_VBS).scales();

    assertThat(scales).extracting(Scale::height).containsExactly(128, 192, 224, 288, 320);
    assertThat(scales).extracting(Scale::width).containsExactly(128, 192, 224, 288, 320);
    assertThat(scales).extracting(Scale::batchSize).containsExactly(392, 174, 128, 77, 62);
  }

  @Test
  void fixedBatchSamplersKeepB0() {
    assertThat(imagenet(SamplerKind.MSC_FBS).scales()).extracting(Scale::batchSize).containsOnly(128).hasSize(5);
    assertThat(imagenet(SamplerKind.SSC_FBS).scales()).containsExactly(new Scale(224, 224, 128));
  }

  @Test
  void makeDivisibleRoundsToTheNearestMultipleAndNeverTenPercentBelow() {
    assertThat(SamplerSpec.makeDivisible(176, 32)).isEqualTo(192);
    assertThat(SamplerSpec.makeDivisible(272, 32)).isEqualTo(288);
    assertThat(SamplerSpec.makeDivisible(10, 32)).isEqualTo(32);
    assertThat(SamplerSpec.makeDivisible(47, 32)).isEqualTo(64); // 32 would be 32% below
    assertThat(SamplerSpec.makeDivisible(28, 8)).isEqualTo(32);
  }

  @Test
  void ranksSplitAPaddedShuffleAndCoverEverySample() {
    Sampler sampler = new Sampler(imagenet(SamplerKind.MSC_VBS), 0);
    int n = 1001;
    int world = 4;

    List<List<BatchPlan>> ranks = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      ranks.add(sampler.epoch(n, 3, r, world));
    }

    Set<Integer> seen = new HashSet<>();
    for (List<BatchPlan> rank : ranks) {
      List<Integer> positions = flatten(rank);
      int share = 251; // 1001 padded to 1004, a quarter each
      seen.addAll(positions.subList(0, share));
      assertThat(positions.size()).isGreaterThanOrEqualTo(share);
      assertThat(positions.subList(share, positions.size())).as("the last batch is filled from the rank's start")
          .isEqualTo(positions.subList(0, positions.size() - share));
    }
    assertThat(seen).hasSize(n);
    assertThat(ranks).extracting(r -> r.stream().map(BatchPlan::cropHeight).toList())
        .as("every rank draws the same scale sequence").allMatch(s -> s.equals(ranks.get(0).stream().map(BatchPlan::cropHeight).toList()));
  }

  @Test
  void epochsAreSeededAndDiffer() {
    Sampler sampler = new Sampler(imagenet(SamplerKind.MSC_VBS), 7);

    List<BatchPlan> a = sampler.epoch(5000, 1, 0, 1);
    List<BatchPlan> again = new Sampler(imagenet(SamplerKind.MSC_VBS), 7).epoch(5000, 1, 0, 1);
    List<BatchPlan> next = sampler.epoch(5000, 2, 0, 1);

    assertThat(flatten(a)).isEqualTo(flatten(again));
    assertThat(a).extracting(BatchPlan::cropHeight).isEqualTo(again.stream().map(BatchPlan::cropHeight).toList());
    assertThat(flatten(a)).isNotEqualTo(flatten(next));
    assertThat(new HashSet<>(flatten(a).subList(0, 5000))).hasSize(5000);
    assertThat(a).allMatch(b -> b.size() == sampler.scales().stream()
        .filter(s -> s.height() == b.cropHeight()).findFirst().orElseThrow().batchSize());
  }

  @Test
  void theLastBatchIsFilledFromTheStartAsCvnetsDoes() {
    // 1,000 samples in batches of 128: seven full batches, then 104 left, filled with the list's first 24
    Sampler sampler = new Sampler(new SamplerSpec(SamplerKind.SSC_FBS, 28, 28, 128, 28, 28, 1, 4), 3);

    List<BatchPlan> epoch = sampler.epoch(1000, 0, 0, 1);
    List<BatchPlan> tiny = sampler.epoch(5, 0, 0, 1);

    assertThat(epoch).hasSize(8).allMatch(b -> b.size() == 128);
    List<Integer> all = flatten(epoch);
    assertThat(new HashSet<>(all.subList(0, 1000))).hasSize(1000);
    assertThat(all.subList(1000, 1024)).isEqualTo(all.subList(0, 24));
    assertThat(tiny).hasSize(1);
    assertThat(tiny.get(0).size()).as("a dataset below one batch is taken twice, no more").isEqualTo(10);
  }

  @Test
  void badSpecsAndRanksAreRefused() {
    assertThatThrownBy(() -> new SamplerSpec(SamplerKind.MSC_VBS, 224, 224, 128, 320, 128, 5, 32))
        .hasMessageContaining("min crop 320 must be positive and at most max crop 128");
    assertThatThrownBy(() -> new Sampler(imagenet(SamplerKind.SSC_FBS), 0).epoch(10, 0, 2, 2))
        .hasMessageContaining("rank 2 is not in a world of 2");
  }

  private static List<Integer> flatten(List<BatchPlan> batches) {
    List<Integer> out = new ArrayList<>();
    batches.forEach(b -> Arrays.stream(b.indices()).forEach(out::add));
    return out;
  }
}
