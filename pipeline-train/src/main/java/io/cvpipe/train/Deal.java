package io.cvpipe.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which rows of the split's data files each rank trains on in an epoch. With one rank: every file, whole, in
 * the planned (sorted) order. With {@code world} ranks: the files in an order shuffled by (seed, epoch), their
 * rows laid end to end and cut into {@code world} contiguous ranges of {@code ceil(rows / world)} rows; the last
 * range is padded by wrapping to the first rows. So each rank holds only its share, every row is dealt once per
 * epoch (plus fewer than {@code world} padding rows), all ranks hold the same number of samples and take the same
 * number of steps, and the deal changes with the epoch.
 */
final class Deal {

  /** One data file of a split and its row count (from the table's metadata, read before training). */
  record DataFile(String location, long rows, long bytes) implements Serializable {}

  /** Rows {@code first .. first + count - 1} (0-based, in file order) of one data file. */
  record Slice(String location, long first, long count) implements Serializable {}

  private Deal() {}

  /** Samples each rank holds in an epoch: {@code ceil(rows / world)}. */
  static long share(List<DataFile> files, int world) {
    long rows = files.stream().mapToLong(DataFile::rows).sum();
    return (rows + world - 1) / world;
  }

  /** Rank {@code rank}'s slices in {@code epoch}, in the order its samples are loaded. */
  static List<Slice> epoch(List<DataFile> files, long seed, int epoch, int rank, int world) {
    if (world <= 0 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " is not in a world of " + world);
    }
    List<DataFile> order = new ArrayList<>(files);
    if (world > 1) {
      Collections.shuffle(order, new Random(seed * 1_000_033L + epoch));
    }
    long total = order.stream().mapToLong(DataFile::rows).sum();
    if (total == 0) {
      return List.of();
    }
    long per = share(files, world);
    List<Slice> slices = new ArrayList<>();
    long from = rank * per;
    long left = per;
    while (left > 0) {
      long position = from % total; // past the end: wrap to the first rows (padding)
      long offset = 0;
      for (DataFile f : order) {
        if (position < offset + f.rows()) {
          long first = position - offset;
          long count = Math.min(left, f.rows() - first);
          slices.add(new Slice(f.location(), first, count));
          left -= count;
          from += count;
          break;
        }
        offset += f.rows();
      }
    }
    return slices;
  }
}
