package io.cvpipe.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.common.metrics.ClassificationMetrics;
import org.junit.jupiter.api.Test;

/**
 * Every metric against values worked out by hand on six images of six classes (classes 3-5 have logit -100
 * unless stated, so they add nothing to a softmax sum):
 *
 * <pre>
 *   logits (classes 0-2)   label  softmax of label / top   predicted  rank  NLL                     bin (ceil(15 p) - 1)
 *   A  2, 0, 0             0      e^2/(e^2+2) = 0.78699    0          0     0.23954                  11
 *   B  0.5, 0, 0           1      1/(e^.5+2) = 0.27406;    0          1     ln(e^.5+2) = 1.29438     6 (top p 0.45186)
 *   C  1, 3, 0             1      e^3/(e+e^3+1) = 0.84379  1          0     0.16985                  12
 *   D  0, 2, 1             2      e/(1+e^2+e) = 0.24473;   1          1     1.40761                  9 (top p 0.66524)
 *   E  3, 1, 0             2      1/(e^3+e+1) = 0.04201;   0          2     3.16985                  12 (top p 0.84379)
 *   F  1, 0, 0 (+3, 4: 0,  5      e^-101/(e+4)... ;        0          5     101 + ln(1 + 4/e) = 101.90484  6 (top p 0.40461)
 *      class 5: -100)
 * </pre>
 *
 * top-1 = 2/6 (A, C); top-5 = 5/6 (F's label is 6th); NLL = 108.18605 / 6 = 18.03101. ECE: bins 6 {B, F}:
 * acc 0, conf 0.42824; 9 {D}: acc 0, conf 0.66524; 11 {A}: acc 1, conf 0.78699; 12 {C, E}: acc 0.5, conf
 * 0.84379; ECE = (2 x 0.42824 + 0.66524 + 0.21301 + 2 x 0.34379) / 6 = 0.40372 (without the bins, per image,
 * it would be 0.46, so the test tells them apart).
 */
class TestClassificationMetrics {

  private static final int CLASSES = 6;
  private static final float[][] LOGITS = {
      {2, 0, 0, -100, -100, -100}, {0.5f, 0, 0, -100, -100, -100}, {1, 3, 0, -100, -100, -100},
      {0, 2, 1, -100, -100, -100}, {3, 1, 0, -100, -100, -100}, {1, 0, 0, 0, 0, -100}};
  private static final int[] LABELS = {0, 1, 1, 2, 2, 5};

  private static ClassificationMetrics of(int from, int to) {
    ClassificationMetrics m = new ClassificationMetrics(CLASSES);
    for (int i = from; i < to; i++) {
      m.add(LOGITS[i], 0, LABELS[i]);
    }
    return m;
  }

  @Test
  void topOneTopFiveNllAndEceAreTheHandComputedValues() {
    ClassificationMetrics m = of(0, 6);

    assertThat(m.images()).isEqualTo(6);
    assertThat(m.top1()).isCloseTo(2 / 6.0, within(1e-12));
    assertThat(m.top5()).isCloseTo(5 / 6.0, within(1e-12));
    assertThat(m.nll()).isCloseTo(18.03101, within(1e-5));
    assertThat(m.ece()).isCloseTo(0.40372, within(1e-5));
  }

  @Test
  void reliabilityBinsHoldCountsConfidenceAndAccuracy() {
    ClassificationMetrics.Bin[] bins = of(0, 6).reliability();

    assertThat(bins).hasSize(15);
    assertThat(bins[6].count()).isEqualTo(2);
    assertThat(bins[6].confidence()).isCloseTo(0.42824, within(1e-5));
    assertThat(bins[6].accuracy()).isEqualTo(0.0);
    assertThat(bins[12].count()).isEqualTo(2);
    assertThat(bins[12].accuracy()).isEqualTo(0.5);
    assertThat(bins[11].accuracy()).isEqualTo(1.0);
    assertThat(bins[0].count()).isZero();
    assertThat(bins[0].accuracy()).isNaN();
    assertThat(bins[14].upper()).isEqualTo(1.0);
  }

  @Test
  void confusionRowsAndPerClassAccuracy() {
    ClassificationMetrics m = of(0, 6);

    assertThat(m.confusionRow(1)).containsExactly(1, 1, 0, 0, 0, 0);
    assertThat(m.confusionRow(2)).containsExactly(1, 1, 0, 0, 0, 0);
    assertThat(m.confusionRow(5)).containsExactly(1, 0, 0, 0, 0, 0);
    assertThat(m.imagesOf(1)).isEqualTo(2);
    assertThat(m.correctOf(1)).isEqualTo(1);
    assertThat(m.correctOf(2)).isZero();
    assertThat(m.imagesOf(3)).isZero();
  }

  @Test
  void partitionsMergeToTheWhole() {
    ClassificationMetrics whole = of(0, 6);
    ClassificationMetrics merged = of(0, 2).merge(of(2, 5)).merge(of(5, 6));

    assertThat(merged.top1()).isEqualTo(whole.top1());
    assertThat(merged.nll()).isCloseTo(whole.nll(), within(1e-12));
    assertThat(merged.ece()).isCloseTo(whole.ece(), within(1e-12));
    for (int c = 0; c < CLASSES; c++) {
      assertThat(merged.confusionRow(c)).containsExactly(whole.confusionRow(c));
    }
  }

  @Test
  void edgesAndMistakes() {
    ClassificationMetrics m = new ClassificationMetrics(2);
    // equal logits: confidence 1/2, in bin 7 = (7/15, 8/15]; a certain prediction (p = 1) in the last bin
    m.add(new float[] {0, 0}, 0, 0);
    m.add(new float[] {0, -200}, 0, 0);
    assertThat(m.reliability()[7].count()).isEqualTo(1);
    assertThat(m.reliability()[14].count()).isEqualTo(1);
    assertThat(new ClassificationMetrics(3).top1()).isNaN();
    assertThatThrownBy(() -> m.add(new float[] {0, 0}, 0, 2)).hasMessageContaining("label 2 is outside 0..1");
    assertThatThrownBy(() -> m.merge(new ClassificationMetrics(3))).hasMessageContaining("cannot merge metrics of 3 classes into 2");
  }
}
