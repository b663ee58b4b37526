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
}
