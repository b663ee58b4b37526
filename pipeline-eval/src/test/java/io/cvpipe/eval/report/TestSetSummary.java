package io.cvpipe.eval.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TestSetSummary {

  private static Evaluation.Epoch epoch(int n, Long steps, Long full, Long skipped) {
    return new Evaluation.Epoch(n, 1.0, 1.0, 0.5, null, 0.1, steps, full, skipped);
  }

  @Test
  void aSetRunShowsTheStepsItSavedAgainstItsEpochsFullCount() {
    String html = EvalReport.setSummary(List.of(epoch(1, 100L, 100L, 0L), epoch(2, 40L, 100L, 600L),
        epoch(3, 60L, 100L, 400L)));

    assertThat(html).contains("200 optimiser steps taken of the 300 its 3 epochs take without SET (33.3% saved)")
        .contains("at most 600 samples sat out an epoch (epoch 2)");
  }

  @Test
  void runsWithoutSetOrRecordedBeforeStepsWereShowNothing() {
    assertThat(EvalReport.setSummary(List.of(epoch(1, 100L, 100L, 0L), epoch(2, 100L, 100L, 0L)))).isEmpty();
    assertThat(EvalReport.setSummary(List.of(epoch(1, null, null, null), epoch(2, 40L, 100L, 600L)))).isEmpty();
    assertThat(EvalReport.setSummary(List.of())).isEmpty();
  }
}
