package io.cvpipe.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TestRecipe {

  @Test
  void warmupThenCosineAsTheCvnetsResNet50Recipe() {
    LearningRateSchedule s = new LearningRateSchedule(0.4, 2e-4, 0.05, 7500, 150);

    assertThat(s.at(0, 0)).isCloseTo(0.05, within(1e-12));
    assertThat(s.at(3750, 2)).isCloseTo(0.225, within(1e-12));
    assertThat(s.at(7500, 6)).isCloseTo(2e-4 + 0.5 * (0.4 - 2e-4) * (1 + Math.cos(Math.PI * 6 / 150)), within(1e-12));
    assertThat(s.at(1_000_000, 75)).isCloseTo((0.4 + 2e-4) / 2, within(1e-12));
    assertThat(s.at(1_000_000, 150)).isCloseTo(2e-4, within(1e-12));
  }

  @Test
  void labelSmoothingSumsToOne() {
    float[] t = Targets.smoothed(new int[] {2, 0}, 4, 0.1);

    assertThat(t).containsExactly(0.025f, 0.025f, 0.925f, 0.025f, 0.925f, 0.025f, 0.025f, 0.025f);
    assertThatThrownBy(() -> Targets.smoothed(new int[] {4}, 4, 0.1)).hasMessageContaining("label 4 is not a class index below 4");
    assertThatThrownBy(() -> new LearningRateSchedule(0.1, 0.2, 0, 0, 10)).hasMessageContaining("0 <= min <= max");
  }

  /**
   * Logits (1, 2, 0.5), teacher (0.2, 0.7, 0.1): log Z = ln(e + e^2 + e^0.5) = 2.464373; cross-entropy
   * -sum p (z - log Z) = 0.814369; teacher entropy 0.801819; KL = 0.012550 (the reinforced loss).
   */
  @Test
  void klToTheTeacherIsCrossEntropyMinusItsEntropy() {
    float[] logits = {9, 1, 2, 0.5f};
    float[] teacher = {0.2f, 0.7f, 0.1f, 0};
    assertThat(Targets.kl(teacher, 0, logits, 1, 3)).isCloseTo(0.012550, within(1e-6));
    assertThat(Targets.entropy(teacher, 1, 3)).isCloseTo(0.801819, within(1e-6));
    assertThat(Targets.kl(new float[] {0, 1, 0}, 0, new float[] {0, 30, 0}, 0, 3)).isCloseTo(0, within(1e-9));
    // two images: the mean entropy
    assertThat(Targets.entropy(new float[] {0.5f, 0.5f, 1, 0}, 2, 2)).isCloseTo(Math.log(2) / 2, within(1e-7));
  }
}
