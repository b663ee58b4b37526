package io.cvpipe.common.reinforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.common.augment.AugmentPolicy;
import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.RandAugment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestTeacherTopK {

  @Test
  void keepsTheKMostProbableOnTheGridAndExpandsToADistribution() {
    float[] probs = {0.05f, 0.6f, 0.0125f, 0.3f, 0.0375f}; // sums to 1
    TeacherTopK top = TeacherTopK.of(probs, 0, 5, 3);
    assertThat(top.classes()).containsExactly(1, 3, 0);
    assertThat(top.probabilities()).containsExactly(4915 / 8192f, 2457 / 8192f, 409 / 8192f); // rounded down
    float[] full = new float[7];
    top.expand(5, full, 2);
    double left = 1 - (4915 + 2457 + 409) / 8192.0; // spread evenly over classes 2 and 4
    assertThat(full[2 + 1]).isEqualTo(4915 / 8192f);
    assertThat(full[2 + 2]).isCloseTo((float) (left / 2), within(1e-7f));
    assertThat(full[2 + 4]).isCloseTo((float) (left / 2), within(1e-7f));
    assertThat(full[0]).isZero();
    assertThat(sum(full)).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void expansionSumsToOneForEveryKAndRandomDistributions() {
    Random random = new Random(3);
    for (int trial = 0; trial < 500; trial++) {
      int classes = 2 + random.nextInt(30);
      float[] logits = new float[classes];
      for (int c = 0; c < classes; c++) {
        logits[c] = (float) (random.nextGaussian() * 4);
      }
      float[] probs = new float[classes];
      TeacherTopK.addSoftmax(logits, 0, classes, 1f, probs, 0);
      int k = 1 + random.nextInt(classes + 3); // also k >= classes
      float[] full = new float[classes];
      TeacherTopK.of(probs, 0, classes, k).expand(classes, full, 0);
      assertThat(sum(full)).as("classes %d, k %d", classes, k).isCloseTo(1.0, within(1e-5));
      for (float p : full) {
        assertThat(p).isGreaterThanOrEqualTo(0f);
      }
    }
  }

  @Test
  void aStoredAugmentationsCodesAndFractionsSurviveTheirStoredForm() {
    for (int i = 0; i < 300; i++) {
      Augmentation a = AugmentPolicy.RRC_RA_RE_MIX.draw(4, i, 1, 100, 120, 7, 90, 80);
      for (RandAugment.Applied op : a.ops()) {
        assertThat(RandAugment.Applied.parse(op.code())).isEqualTo(op);
      }
      Augmentation.Mixing m = a.mixing();
      Augmentation.Box box = m != null && m.cutmixBox() != null ? m.cutmixBox() : a.erasing();
      if (box != null) {
        assertThat(box.top() * AugmentPolicy.GRID % 1).isZero();
        assertThat(box.width() * AugmentPolicy.GRID % 1).isZero();
      }
      if (m != null && m.mixupLambda() != null) {
        assertThat(m.mixupLambda() * AugmentPolicy.GRID % 1).isZero();
      }
    }
  }

  private static double sum(float[] values) {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }
}
