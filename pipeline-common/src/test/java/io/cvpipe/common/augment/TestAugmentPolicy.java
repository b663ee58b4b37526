package io.cvpipe.common.augment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.common.image.SyntheticImages;
import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Stored augmentations: a pure function of (seed, sample, index), and replayed to the same pixels. */
class TestAugmentPolicy {

  private static final float[] MEAN = Pixels.IMAGENET_MEAN;
  private static final float[] STD = Pixels.IMAGENET_STD;

  @Test
  void parametersAreAPureFunctionOfSeedSampleAndIndex() {
    AugmentPolicy policy = AugmentPolicy.RRC_RA_RE_MIX;
    Augmentation a = policy.draw(7, 123456789L, 3, 375, 500, 42, 300, 400);

    assertThat(policy.draw(7, 123456789L, 3, 375, 500, 42, 300, 400)).usingRecursiveComparison().isEqualTo(a);
    assertThat(policy.draw(7, 123456789L, 4, 375, 500, 42, 300, 400)).usingRecursiveComparison().isNotEqualTo(a);
    assertThat(policy.draw(8, 123456789L, 3, 375, 500, 42, 300, 400)).usingRecursiveComparison().isNotEqualTo(a);
    Augmentation plain = AugmentPolicy.RRC.draw(7, 1, 0, 100, 100, 2, 100, 100);
    assertThat(plain.ops()).isEmpty();
    assertThat(plain.erasing()).isNull();
    assertThat(plain.mixing()).isNull();
  }

  /**
   * ml-dr's mixing ({@code randaug_mixing.yaml}): MixUp with p 0.5 and then CutMix with p 0.5, independently, so a
   * quarter of the augmentations get both, half one and a quarter none; MixUp's lambda is Beta(1, 1) / 2, uniform
   * on [0, 0.5] (the partner weighs at least half); CutMix's box side is sqrt(1 - Beta(1, 1)), so before the borders
   * clip it its area is uniform on [0, 1]; the partner gets its own RandomErasing at p 0.25.
   */
  @Test
  void familiesAppearAtMlDrsRates() {
    int draws = 8000;
    int erased = 0;
    int partnerErased = 0;
    int[] kinds = new int[4]; // none, mixup, cutmix, both
    double lambdas = 0;
    int mixups = 0;
    for (int i = 0; i < draws; i++) {
      Augmentation a = AugmentPolicy.RRC_RA_RE_MIX.draw(1, i, i % 7, 240, 320, i + 1, 200, 200);
      assertThat(a.ops()).hasSize(2);
      erased += a.erasing() == null ? 0 : 1;
      Augmentation.Mixing m = a.mixing();
      if (m == null) {
        kinds[0]++;
        continue;
      }
      partnerErased += m.partnerErasing() == null ? 0 : 1;
      kinds[(m.mixupLambda() == null ? 0 : 1) + (m.cutmixBox() == null ? 0 : 2)]++;
      if (m.mixupLambda() != null) {
        assertThat(m.mixupLambda()).isBetween(0f, 0.5f);
        lambdas += m.mixupLambda();
        mixups++;
      }
      assertThat(m.kind()).isEqualTo(m.mixupLambda() == null ? "cutmix" : m.cutmixBox() == null ? "mixup" : "mixup+cutmix");
    }
    assertThat(erased / (double) draws).isCloseTo(0.25, within(0.02));
    for (int kind = 0; kind < 4; kind++) {
      assertThat(kinds[kind] / (double) draws).as("kind %d", kind).isCloseTo(0.25, within(0.02));
    }
    assertThat(partnerErased / (double) (draws - kinds[0])).isCloseTo(0.25, within(0.02));
    assertThat(lambdas / mixups).as("Beta(1, 1) / 2 has mean 1/4").isCloseTo(0.25, within(0.01));
  }

  @Test
  void betaDrawsHaveTheirMean() {
    Random random = new Random(3);
    double sum = 0;
    double extreme = 0;
    for (int i = 0; i < 20000; i++) {
      double b = AugmentPolicy.beta(random, 0.2);
      sum += b;
      extreme += b < 0.1 || b > 0.9 ? 1 : 0;
    }
    assertThat(sum / 20000).isCloseTo(0.5, within(0.02));
    assertThat(extreme / 20000).as("Beta(0.2, 0.2) puts most mass near 0 and 1").isGreaterThan(0.5);
  }

  @Test
  void replayGivesTheSamePixelsAndDoesWhatTheParametersSay() {
    BufferedImage image = SyntheticImages.shape(1, 96, 80, new Random(5));
    BufferedImage partner = SyntheticImages.shape(2, 64, 64, new Random(6));
    int size = 48;
    int n = size * size * 3;
    for (int index = 0; index < 40; index++) {
      Augmentation a = AugmentPolicy.RRC_RA_RE_MIX.draw(11, 99, index, 80, 96, 100, 64, 64);
      float[] first = new float[n];
      float[] second = new float[n + 5];
      AugmentReplay.render(image, a, partner, size, size, 3, MEAN, STD, first, 0);
      AugmentReplay.render(image, a, partner, size, size, 3, MEAN, STD, second, 5);
      assertThat(java.util.Arrays.copyOfRange(second, 5, n + 5)).containsExactly(first);

      Augmentation.Mixing m = a.mixing();
      if (m == null) {
        continue;
      }
      float[] partnerView = new float[n];
      AugmentReplay.render(partner, new Augmentation(m.partnerCrop(), m.partnerOps(), m.partnerErasing(), null), null,
          size, size, 3, MEAN, STD, partnerView, 0);
      if (m.cutmixBox() != null && m.cutmixBox().height() > 0.2 && m.cutmixBox().width() > 0.2) {
        int[] box = m.cutmixBox().pixels(size, size);
        int at = (((box[0] + box[2]) / 2) * size + (box[1] + box[3]) / 2) * 3;
        assertThat(first[at]).as("the pasted box holds the partner's own view, not blended").isEqualTo(partnerView[at]);
      }
    }
    Augmentation mixes = java.util.stream.IntStream.range(0, 40)
        .mapToObj(i -> AugmentPolicy.RRC_RA_RE_MIX.draw(11, 99, i, 80, 96, 100, 64, 64))
        .filter(a -> a.mixing() != null).findFirst().orElseThrow();
    assertThatThrownBy(() -> AugmentReplay.render(image, mixes, null, size, size, 3, MEAN, STD, new float[n], 0))
        .hasMessageContaining("mixes with sample_id 100: its image is needed");
  }

  @Test
  void erasedBoxIsBlackBeforeNormalisationAndMixUpComesBeforeCutMix() {
    BufferedImage image = SyntheticImages.shape(0, 64, 64, new Random(1));
    BufferedImage partner = SyntheticImages.shape(3, 64, 64, new Random(2));
    CropBox whole = new CropBox(0, 0, 64, 64, false);
    RandAugment.Applied[] none = new RandAugment.Applied[0];
    int n = 32 * 32 * 3;
    float[] plain = new float[n];
    float[] other = new float[n];
    AugmentReplay.render(image, new Augmentation(whole, none, null, null), null, 32, 32, 3, MEAN, STD, plain, 0);
    AugmentReplay.render(partner, new Augmentation(whole, none, null, null), null, 32, 32, 3, MEAN, STD, other, 0);

    float[] erased = new float[n];
    Augmentation.Box box = new Augmentation.Box(0.25f, 0.5f, 0.25f, 0.25f); // rows 8-15, columns 16-23
    AugmentReplay.render(image, new Augmentation(whole, none, box, null), null, 32, 32, 3, MEAN, STD, erased, 0);
    for (int c = 0; c < 3; c++) { // ml-dr erases its [0, 1] tensor before normalising: (0 - mean) / std
      assertThat(erased[(10 * 32 + 20) * 3 + c]).isEqualTo(-MEAN[c] / STD[c]);
    }
    assertThat(erased[(20 * 32 + 20) * 3]).isEqualTo(plain[(20 * 32 + 20) * 3]);

    float[] mixed = new float[n];
    Augmentation.Mixing mixup = new Augmentation.Mixing(0.3f, null, 5, whole, none, null);
    AugmentReplay.render(image, new Augmentation(whole, none, null, mixup), partner, 32, 32, 3, MEAN, STD, mixed, 0);
    for (int i = 0; i < n; i += 97) {
      assertThat(mixed[i]).isCloseTo(0.3f * plain[i] + 0.7f * other[i], within(1e-5f));
    }

    // both: MixUp everywhere, then the partner's own (erased) view pasted into the box
    float[] both = new float[n];
    Augmentation.Mixing twice = new Augmentation.Mixing(0.3f, box, 5, whole, none, box);
    AugmentReplay.render(image, new Augmentation(whole, none, null, twice), partner, 32, 32, 3, MEAN, STD, both, 0);
    int inside = (10 * 32 + 20) * 3;
    int outside = (20 * 32 + 20) * 3;
    assertThat(both[inside]).as("the partner's erased view").isEqualTo(-MEAN[0] / STD[0]);
    assertThat(both[outside]).isCloseTo(0.3f * plain[outside] + 0.7f * other[outside], within(1e-5f));
    assertThatThrownBy(() -> new Augmentation.Mixing(null, null, 5, whole, none, null))
        .hasMessageContaining("without MixUp or CutMix");
  }
}
