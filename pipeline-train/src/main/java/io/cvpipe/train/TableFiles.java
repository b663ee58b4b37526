package io.cvpipe.train;

import io.cvpipe.common.Errors;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.train.input.InMemorySamples;
import io.cvpipe.train.input.StoredAugmentations;
import io.cvpipe.train.set.SkipSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.hadoop.HadoopInputFile;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;

/**
 * Reads a task's share of the samples table straight from its Parquet data files, without Spark SQL, with
 * the Iceberg generic readers of the Spark runtime jar (the driver planned which files at which snapshot).
 */
final class TableFiles {

  static final String[] COLUMNS = {"sample_id", "class_index", "image"};

  private static final long[] NONE = new long[0];

  private TableFiles() {}

  static InMemorySamples load(List<String> files, Schema projection, Configuration conf) {
    InMemorySamples samples = new InMemorySamples();
    for (String file : files) {
      read(file, 0, Long.MAX_VALUE, NONE, null, projection, conf, samples);
    }
    return samples;
  }

  /** The rows of these sample ids in {@code files} (each file read whole: the ids can sit anywhere in them). */
  static InMemorySamples loadIds(List<String> files, Set<Long> ids, Schema projection, Configuration conf) {
    InMemorySamples samples = new InMemorySamples();
    for (String file : files) {
      if (samples.size() == ids.size()) {
        break;
      }
      read(file, 0, Long.MAX_VALUE, NONE, ids::contains, projection, conf, samples);
    }
    return samples;
  }

  /**
   * The rows of {@code slices}, in slice order (a rank's share of an epoch: see {@link Deal}), without those SET
   * leaves out ({@code skips}: a slice may span some).
   */
  static InMemorySamples loadSlices(List<Deal.Slice> slices, SkipSet skips, Schema projection, Configuration conf) {
    InMemorySamples samples = new InMemorySamples();
    for (Deal.Slice slice : slices) {
      long read = read(slice.location(), slice.first(), slice.count(), skips.positions(slice.location()), null,
          projection, conf, samples);
      if (read != slice.count()) {
        throw Errors.state(slice.location() + " has " + (slice.first() + read) + " rows where the table's metadata "
            + "promised at least " + (slice.first() + slice.count()) + ": the data file changed under the snapshot");
      }
    }
    return samples;
  }

  /**
   * Adds rows {@code first .. first + count - 1} of {@code file} but those at {@code skipped} (sorted positions) to
   * {@code samples}, only the sample ids {@code keep} accepts when it is not null; returns how many rows of that range
   * the file has.
   */
  private static long read(String file, long first, long count, long[] skipped, LongPredicate keep, Schema projection,
      Configuration conf, InMemorySamples samples) {
    long row = 0;
    long inRange = 0;
    try (CloseableIterable<Record> records = Parquet.read(HadoopInputFile.fromLocation(file, conf))
        .project(projection)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(projection, fileSchema))
        .build()) {
      for (Record r : records) {
        long position = row++;
        if (position < first) {
          continue;
        }
        if (inRange == count) {
          break;
        }
        if (skipped.length > 0 && Arrays.binarySearch(skipped, position) >= 0
            || keep != null && !keep.test((Long) r.getField("sample_id"))) {
          inRange++; // left out by SET, or not asked for
          continue;
        }
        Object label = r.getField("class_index");
        if (label == null) {
          throw Errors.state("sample " + r.getField("sample_id") + " in " + file + " has no class_index: "
              + "classification training needs labelled samples (COCO detection datasets are not supported yet)");
        }
        ByteBuffer image = (ByteBuffer) r.getField("image");
        byte[] bytes = new byte[image.remaining()];
        image.duplicate().get(bytes);
        samples.add((Long) r.getField("sample_id"), (Integer) label, bytes);
        inRange++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read data file " + file, e);
    }
    return inRange;
  }

  /**
   * The stored augmentations of version {@code version} in a reinforced table's data files, by sample, in
   * augmentation order; {@code expectedRows} (about how many there are, or 0) sizes the columns that hold them.
   */
  static StoredAugmentations loadReinforced(List<String> files, Schema schema, String version, long expectedRows,
      Configuration conf) {
    return loadReinforced(files, schema, version, id -> true, expectedRows, conf);
  }

  /** As above, of the samples {@code keep} accepts (a rank's share). */
  static StoredAugmentations loadReinforced(List<String> files, Schema schema, String version, LongPredicate keep,
      long expectedRows, Configuration conf) {
    StoredAugmentations.Builder stored = StoredAugmentations.builder(expectedRows);
    for (String file : files) {
      try (CloseableIterable<Record> records = Parquet.read(HadoopInputFile.fromLocation(file, conf))
          .project(schema)
          .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
          .build()) {
        for (Record r : records) {
          if (version.equals(r.getField("version")) && keep.test((Long) r.getField("sample_id"))) {
            stored.add(StoredAugmentation.from(r));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read data file " + file, e);
      }
    }
    return stored.build();
  }
}
