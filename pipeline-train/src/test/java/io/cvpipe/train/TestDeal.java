package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.train.set.SkipSet;
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

  @Test
  void withSetEveryRankGetsTheSameNumberOfTheRowsLeftAndEveryRowLeftIsDealtOnce() {
    // rows 0, 3, 6 of a, all of b, 2..9 of c skipped: 23 - 12 = 11 rows left
    SkipSet skips = new SkipSet(5, new long[] {1, 2, 3}, Map.of("a", new long[] {6, 0, 3}, "b", new long[] {0},
        "c", new long[] {2, 3, 4, 5, 6, 7, 8, 9}));
    for (int world : new int[] {1, 2, 3, 4, 11}) {
      Map<String, Integer> times = new HashMap<>();
      for (int r = 0; r < world; r++) {
        long left = 0;
        for (Deal.Slice s : Deal.epoch(FILES, skips, 5, 3, r, world)) {
          long[] skipped = skips.positions(s.location());
          for (long i = s.first(); i < s.first() + s.count(); i++) {
            if (java.util.Arrays.binarySearch(skipped, i) < 0) {
              times.merge(s.location() + i, 1, Integer::sum);
              left++;
            }
          }
          assertThat(java.util.Arrays.binarySearch(skipped, s.first())).as("a slice starts on a row left in").isNegative();
        }
        assertThat(left).as("world %d, rank %d", world, r).isEqualTo(Deal.share(FILES, skips, world));
      }
      assertThat(times.keySet()).as("world " + world).containsExactlyInAnyOrder("a1", "a2", "a4", "a5", "c0", "c1",
          "c10", "c11", "d0", "d1", "d2");
      assertThat(times.values().stream().mapToInt(t -> t - 1).sum()).isLessThan(world);
    }
    assertThat(Deal.share(FILES, skips, 2)).isEqualTo(6);
  }

  @Test
  void whenSetLeavesNoRowTheDealIsOfEveryRow() {
    SkipSet all = new SkipSet(5, new long[0], Map.of("a", new long[] {0, 1, 2, 3, 4, 5, 6}, "b", new long[] {0},
        "c", new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "d", new long[] {0, 1, 2}));

    assertThat(Deal.epoch(FILES, all, 5, 3, 1, 2)).isEqualTo(Deal.epoch(FILES, 5, 3, 1, 2));
    assertThat(Deal.share(FILES, all, 2)).isEqualTo(12);
  }
}
