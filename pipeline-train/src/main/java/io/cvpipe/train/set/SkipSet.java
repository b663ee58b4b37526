package io.cvpipe.train.set;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The samples SET leaves out of the epochs after scoring epoch {@code epoch}: their ids, and where they sit in the
 * split's data files (row positions per file), so that a deal over many tasks can give every task the same number
 * of the samples that remain.
 */
public final class SkipSet implements Serializable {

  public static final SkipSet NONE = new SkipSet(0, new long[0], Map.of());

  private final int epoch;
  private final long[] ids;
  private final Map<String, long[]> positions;

  /** {@code ids} and each file's positions in any order (they are sorted here). */
  public SkipSet(int epoch, long[] ids, Map<String, long[]> positions) {
    this.epoch = epoch;
    this.ids = ids.clone();
    Arrays.sort(this.ids);
    this.positions = new HashMap<>();
    positions.forEach((file, rows) -> {
      long[] sorted = rows.clone();
      Arrays.sort(sorted);
      this.positions.put(file, sorted);
    });
  }

  /** The scoring epoch this set comes from (0: none). */
  public int epoch() {
    return epoch;
  }

  public int size() {
    return ids.length;
  }

  public boolean isEmpty() {
    return ids.length == 0;
  }

  public boolean contains(long sampleId) {
    return ids.length > 0 && Arrays.binarySearch(ids, sampleId) >= 0;
  }

  /** The skipped row positions of a data file, sorted (empty when none). */
  public long[] positions(String file) {
    return positions.getOrDefault(file, new long[0]);
  }

  @Override
  public String toString() {
    return ids.length + " samples skipped after epoch " + epoch;
  }
}
