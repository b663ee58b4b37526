package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TestDeal {

  private static final List<Deal.DataFile> FILES = List.of(new Deal.DataFile("a", 7, 70),
      new Deal.DataFile("b", 1, 10), new Deal.DataFile("c", 12, 120), new Deal.DataFile("d", 3, 30));

  /** How often each (file, row) is dealt in an epoch, over all ranks; and each rank's row count. */
  private static Map<String, Integer> dealt(int epoch, int world, List<Long> perRank) {
    Map<String, Integer> times = new HashMap<>();
    for (int r = 0; r < world; r++) {
      long rows = 0;
      for (Deal.Slice s : Deal.epoch(FILES, 5, epoch, r, world)) {
        for (long i = s.first(); i < s.first() + s.count(); i++) {
          times.merge(s.location() + i, 1, Integer::sum);
        }
        rows += s.count();
      }
      perRank.add(rows);
    }
    return times;
  }

  @Test
  void everyRowIsDealtOncePerEpochPlusFewerThanWorldPaddingRowsAndEveryRankHoldsTheSameCount() {
    for (int world : new int[] {1, 2, 3, 4, 5, 23}) {
      List<Long> perRank = new ArrayList<>();
      Map<String, Integer> times = dealt(2, world, perRank);

      assertThat(times).as("world " + world).hasSize(23);
      long padding = times.values().stream().mapToLong(t -> t - 1).sum();
      assertThat(padding).isEqualTo(Deal.share(FILES, world) * world - 23).isLessThan(world);
      assertThat(perRank).containsOnly(Deal.share(FILES, world));
    }
  }

  @Test
  void theDealChangesWithTheEpochAndIsTheSameForTheSameEpoch() {
    List<List<Deal.Slice>> byEpoch = new ArrayList<>();
    for (int epoch = 0; epoch < 6; epoch++) {
      byEpoch.add(Deal.epoch(FILES, 5, epoch, 0, 3));
    }

    assertThat(byEpoch.stream().distinct().count()).isGreaterThan(1);
    assertThat(Deal.epoch(FILES, 5, 4, 0, 3)).isEqualTo(byEpoch.get(4));
    assertThat(Deal.epoch(FILES, 5, 4, 0, 1)).as("one rank: every file whole, in order").containsExactly(
        new Deal.Slice("a", 0, 7), new Deal.Slice("b", 0, 1), new Deal.Slice("c", 0, 12), new Deal.Slice("d", 0, 3));
  }

  @Test
  void aRankOutsideTheWorldIsRefused() {
    assertThatThrownBy(() -> Deal.epoch(FILES, 5, 0, 2, 2)).hasMessageContaining("rank 2 is not in a world of 2");
  }
}
