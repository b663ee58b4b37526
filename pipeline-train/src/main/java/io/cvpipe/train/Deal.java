package io.cvpipe.train;

import io.cvpipe.train.set.SkipSet;
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
    return share(files, SkipSet.NONE, world);
  }

  /**
   * Samples each rank trains on in an epoch when SET leaves {@code skips} out: {@code ceil(rows left / world)}
   * (all rows when SET would leave none: see {@link #epoch(List, SkipSet, long, int, int, int)}).
   */
  static long share(List<DataFile> files, SkipSet skips, int world) {
    long rows = kept(files, skips);
    if (rows == 0) {
      rows = files.stream().mapToLong(DataFile::rows).sum();
    }
    return (rows + world - 1) / world;
  }

  /** Rank {@code rank}'s slices in {@code epoch}, in the order its samples are loaded. */
  static List<Slice> epoch(List<DataFile> files, long seed, int epoch, int rank, int world) {
    return epoch(files, SkipSet.NONE, seed, epoch, rank, world);
  }

  /**
   * As above, over the rows SET leaves in: the rows left are laid end to end and cut as above, so every rank trains
   * on the same number of them. A slice then spans from its first row left to its last, skipped rows between
   * included: the loading rank drops those by sample id. When SET leaves no row at all, the deal is of every row.
   */
  static List<Slice> epoch(List<DataFile> files, SkipSet skips, long seed, int epoch, int rank, int world) {
    if (world <= 0 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " is not in a world of " + world);
    }
    if (kept(files, skips) == 0) {
      skips = SkipSet.NONE;
    }
    List<DataFile> order = new ArrayList<>(files);
    if (world > 1) {
      Collections.shuffle(order, new Random(seed * 1_000_033L + epoch));
    }
    long total = kept(order, skips);
    if (total == 0) {
      return List.of();
    }
    long per = share(files, skips, world);
    List<Slice> slices = new ArrayList<>();
    long from = rank * per;
    long left = per;
    while (left > 0) {
      long position = from % total; // past the end: wrap to the first rows (padding)
      long offset = 0;
      for (DataFile f : order) {
        long[] skipped = skips.positions(f.location());
        long rows = f.rows() - skipped.length;
        if (position < offset + rows) {
          long first = position - offset;
          long count = Math.min(left, rows - first);
          long firstRow = row(skipped, first);
          slices.add(new Slice(f.location(), firstRow, row(skipped, first + count - 1) - firstRow + 1));
          left -= count;
          from += count;
          break;
        }
        offset += rows;
      }
    }
    return slices;
  }

  /** Rows of {@code files} that {@code skips} leaves in. */
  private static long kept(List<DataFile> files, SkipSet skips) {
    long rows = 0;
    for (DataFile f : files) {
      rows += f.rows() - skips.positions(f.location()).length;
    }
    return rows;
  }

  /** The position in its file of the {@code k}-th (0-based) row left in, given the file's skipped rows (sorted). */
  private static long row(long[] skipped, long k) {
    long row = k;
    for (long s : skipped) {
      if (s > row) {
        break;
      }
      row++;
    }
    return row;
  }
}
