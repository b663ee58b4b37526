package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
import io.cvpipe.common.SampleIds;
import io.cvpipe.ingest.IngestSettings;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Plans the MNIST family's IDX files (MNIST, Fashion-MNIST, KMNIST): per split an image file
 * {@code <prefix>-images-idx3-ubyte} and a label file {@code <prefix>-labels-idx1-ubyte}, gzipped or not;
 * prefix {@code train} is split train, {@code t10k} split val. The driver checks both headers and sizes and
 * reads the labels (one byte per image); tasks read the pixels ({@link IdxReader}) and store each image as a
 * lossless grey PNG. Sample ids come from {@code <split>/<image file without .gz>/<index>}: re-running, or
 * gunzipping the files, changes nothing.
 */
public final class IdxSource {

  private static final Logger LOG = LogManager.getLogger(IdxSource.class);

  static final int IMAGES_MAGIC = 0x00000803; // unsigned byte, 3 dimensions
  static final int LABELS_MAGIC = 0x00000801; // unsigned byte, 1 dimension
  private static final Map<String, String> SPLITS = Map.of("train", "train", "t10k", "val");

  /** Fashion-MNIST's classes (Zalando's README), by label 0..9. */
  static final List<String> FASHION_MNIST = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
      "Shirt", "Sneaker", "Bag", "Ankle boot");

  private IdxSource() {}

  /** One split's files, as found and checked. */
  record Split(String name, String imagesFile, int count, int rows, int cols, byte[] labels) {}

  public static SourcePlan plan(IngestSettings settings, Configuration conf) {
    Path root = new Path(settings.source());
    List<SourceEntry> entries = new ArrayList<>();
    TreeMap<String, String> classes = new TreeMap<>(SourcePlan.LABEL_ORDER);
    try {
      FileSystem fs = root.getFileSystem(conf);
      if (!fs.exists(root)) {
        throw Errors.input("ingest.source " + root + " does not exist. Point it at the directory holding the IDX files "
            + "(for Fashion-MNIST from Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist)");
      }
      List<Split> splits = new ArrayList<>();
      for (String prefix : List.of("train", "t10k")) {
        Path images = find(fs, root, prefix + "-images-idx3-ubyte");
        Path labels = find(fs, root, prefix + "-labels-idx1-ubyte");
        if (images == null && labels == null) {
          continue;
        }
        if (images == null || labels == null) {
          throw Errors.input("ingest.source " + root + ": " + (images == null ? labels : images) + " has no partner: "
              + "expected " + prefix + "-images-idx3-ubyte[.gz] and " + prefix + "-labels-idx1-ubyte[.gz] side by side");
        }
        splits.add(check(fs, SPLITS.get(prefix), images, labels));
      }
      if (splits.isEmpty()) {
        throw Errors.input("ingest.source " + root + " holds no IDX files: expected train-images-idx3-ubyte[.gz] with "
            + "train-labels-idx1-ubyte[.gz] and/or t10k-images-idx3-ubyte[.gz] with t10k-labels-idx1-ubyte[.gz]");
      }
      Map<String, String> names = names(settings, root, conf);
      for (Split split : splits) {
        String stem = new Path(split.imagesFile()).getName().replaceFirst("\\.gz$", "");
        int pixels = split.rows() * split.cols();
        for (int i = 0; i < split.count(); i++) {
          String label = String.valueOf(split.labels()[i] & 0xFF);
          classes.putIfAbsent(label, names.get(label));
          String key = SampleIds.key(split.name(), stem + "/" + i);
          entries.add(new SourceEntry(SampleIds.of(key), split.name(), split.imagesFile() + "#" + i, split.imagesFile(),
              16L + (long) i * pixels, pixels, label, null, null, null, null, null));
        }
        LOG.info(String.format(Locale.ROOT, "ingest: %s: %,d images of %dx%d for split %s", split.imagesFile(),
            split.count(), split.rows(), split.cols(), split.name()));
      }
      return new SourcePlan(entries, List.of(), classes);
    } catch (IOException e) {
      throw Errors.input("cannot read ingest.source " + root + ": " + e.getMessage(), e);
    }
  }

  private static Path find(FileSystem fs, Path root, String name) throws IOException {
    for (String candidate : List.of(name, name + ".gz")) {
      Path p = new Path(root, candidate);
      if (fs.isFile(p)) {
        return p;
      }
    }
    return null;
  }

  /** Headers, sizes and labels of one split; every problem is an error naming the file. */
  static Split check(FileSystem fs, String split, Path images, Path labels) throws IOException {
    int count;
    int rows;
    int cols;
    long imageBytes;
    try (InputStream raw = IdxReader.open(fs, images); DataInputStream in = new DataInputStream(raw)) {
      int magic = header(in, images);
      if (magic != IMAGES_MAGIC) {
        throw Errors.input(images + ": wrong magic number " + hex(magic) + "; an IDX image file (unsigned bytes, "
            + "3 dimensions) starts with " + hex(IMAGES_MAGIC) + (magic == LABELS_MAGIC ? " (this is a label file)" : ""));
      }
      count = in.readInt();
      rows = in.readInt();
      cols = in.readInt();
      if (count < 0 || rows <= 0 || cols <= 0 || (long) rows * cols > 1 << 24) {
        throw Errors.input(images + ": implausible dimensions " + count + " x " + rows + " x " + cols);
      }
      imageBytes = in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    long expected = (long) count * rows * cols;
    if (imageBytes != expected) {
      throw Errors.input(String.format(Locale.ROOT, "%s is %s: its header promises %,d images of %dx%d, %,d bytes of "
          + "pixels after the 16-byte header, but it holds %,d", images, imageBytes < expected ? "truncated" : "too long",
          count, rows, cols, expected, imageBytes));
    }
    byte[] values;
    try (InputStream raw = IdxReader.open(fs, labels); DataInputStream in = new DataInputStream(raw)) {
      int magic = header(in, labels);
      if (magic != LABELS_MAGIC) {
        throw Errors.input(labels + ": wrong magic number " + hex(magic) + "; an IDX label file (unsigned bytes, "
            + "1 dimension) starts with " + hex(LABELS_MAGIC) + (magic == IMAGES_MAGIC ? " (this is an image file)" : ""));
      }
      int n = in.readInt();
      if (n != count) {
        throw Errors.input(labels + " has " + n + " labels but " + images + " has " + count + " images: they must "
            + "describe the same images, in order");
      }
      values = in.readAllBytes();
    }
    if (values.length != count) {
      throw Errors.input(String.format(Locale.ROOT, "%s is %s: its header promises %,d labels (bytes after the 8-byte "
          + "header) but it holds %,d", labels, values.length < count ? "truncated" : "too long", count, values.length));
    }
    return new Split(split, images.toString(), count, rows, cols, values);
  }

  private static int header(DataInputStream in, Path file) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw Errors.input(file + " is truncated: it is shorter than an IDX header");
    }
  }

  private static String hex(int v) {
    return String.format(Locale.ROOT, "0x%08X", v);
  }

  /** Class names: ingest.names-file ("label name" lines) when set, else Fashion-MNIST's when the source is it. */
  private static Map<String, String> names(IngestSettings settings, Path root, Configuration conf) {
    if (settings.namesFile().isPresent()) {
      return LabelFiles.names(new Path(settings.namesFile().get()), conf);
    }
    Map<String, String> names = new TreeMap<>();
    if (root.toString().toLowerCase(Locale.ROOT).contains("fashion")) {
      for (int i = 0; i < FASHION_MNIST.size(); i++) {
        names.put(String.valueOf(i), FASHION_MNIST.get(i));
      }
    }
    return names;
  }
}
