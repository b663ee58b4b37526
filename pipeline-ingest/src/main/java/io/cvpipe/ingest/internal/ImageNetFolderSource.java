package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
import io.cvpipe.common.image.ImageFormat;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.ingest.IngestSettings;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Plans an ImageNet-style directory: {@code SOURCE/<split>/<class>/<file>}, and flat split directories
 * ({@code SOURCE/val/<file>}) labelled by a labels file. Lists on the driver (Hadoop FileSystem, so local,
 * HDFS and s3a alike); reads no image.
 */
public final class ImageNetFolderSource {

  public static final String DEFAULT_LABELS_FILE = "LOC_val_solution.csv";
  public static final String DEFAULT_NAMES_FILE = "LOC_synset_mapping.txt";

  private ImageNetFolderSource() {}

  public static SourcePlan plan(IngestSettings settings, Configuration conf) {
    Path root = new Path(settings.source());
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus[] top;
      try {
        top = fs.listStatus(root);
      } catch (FileNotFoundException e) {
        throw Errors.input("ingest.source " + root + " does not exist. Point it at the dataset's root directory");
      }
      List<FileStatus> splits = new ArrayList<>();
      for (FileStatus status : top) {
        if (status.isDirectory() && !hidden(status.getPath().getName())) {
          splits.add(status);
        }
      }
      if (splits.isEmpty()) {
        throw Errors.input("ingest.source " + root + " has no split directories. imagenet-folder expects "
            + "SOURCE/<split>/<class>/<file> (e.g. train/n01440764/x.JPEG) or a flat SOURCE/<split>/ with a labels file");
      }
      splits.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      Labels flatLabels = new Labels(settings, root, fs, conf);
      List<SourceEntry> entries = new ArrayList<>();
      TreeMap<String, String> classes = new TreeMap<>();
      for (FileStatus split : splits) {
        planSplit(fs, split.getPath(), flatLabels, entries, classes);
      }
      Map<String, String> names = names(settings, root, fs, conf);
      classes.replaceAll((label, name) -> names.get(label));
      return new SourcePlan(entries, classes);
    } catch (IOException e) {
      throw Errors.input("cannot list ingest.source " + root + ": " + e.getMessage(), e);
    }
  }

  private static void planSplit(FileSystem fs, Path splitDir, Labels flatLabels, List<SourceEntry> entries,
      TreeMap<String, String> classes) throws IOException {
    String split = splitDir.getName();
    for (FileStatus child : fs.listStatus(splitDir)) {
      String name = child.getPath().getName();
      if (child.isDirectory()) {
        String label = name;
        classes.put(label, null);
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(child.getPath(), true);
        while (files.hasNext()) {
          LocatedFileStatus file = files.next();
          String relative = label + "/" + relativeTo(child.getPath(), file.getPath());
          entries.add(checkName(SourceEntry.file(split, relative, file.getPath().toString(), file.getLen(), label)));
        }
      } else {
        String label = flatLabels.labelOf(name);
        SourceEntry entry = SourceEntry.file(split, name, child.getPath().toString(), child.getLen(), label);
        if (label == null) {
          entries.add(entry.rejectedUpfront(QuarantineReason.NO_LABEL, flatLabels.missing(split, name)));
        } else {
          classes.put(label, null);
          entries.add(checkName(entry));
        }
      }
    }
  }

  private static SourceEntry checkName(SourceEntry entry) {
    String name = entry.file().substring(entry.file().lastIndexOf('/') + 1);
    if (!ImageFormat.hasImageExtension(name)) {
      return entry.rejectedUpfront(QuarantineReason.NON_IMAGE_FILE,
          "'" + name + "' has no image extension (.jpg, .jpeg, .png, ...); left out of the dataset");
    }
    return entry;
  }

  private static String relativeTo(Path dir, Path file) {
    String d = dir.toUri().getPath();
    String f = file.toUri().getPath();
    return f.startsWith(d + "/") ? f.substring(d.length() + 1) : file.getName();
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }

  private static Map<String, String> names(IngestSettings settings, Path root, FileSystem fs, Configuration conf)
      throws IOException {
    if (settings.namesFile().isPresent()) {
      return LabelFiles.names(new Path(settings.namesFile().get()), conf);
    }
    Path fallback = new Path(root, DEFAULT_NAMES_FILE);
    return fs.exists(fallback) ? LabelFiles.names(fallback, conf) : Map.of();
  }

  /** The labels file for flat splits, read the first time a flat file needs it. */
  private static final class Labels {
    private final Path path;
    private final Configuration conf;
    private final boolean explicit;
    private Map<String, String> labels;

    Labels(IngestSettings settings, Path root, FileSystem fs, Configuration conf) throws IOException {
      this.conf = conf;
      this.explicit = settings.labelsFile().isPresent();
      if (explicit) {
        this.path = new Path(settings.labelsFile().get());
        if (!path.getFileSystem(conf).exists(path)) {
          throw Errors.input("ingest.labels-file " + path + " does not exist");
        }
      } else {
        Path fallback = new Path(root, DEFAULT_LABELS_FILE);
        this.path = fs.exists(fallback) ? fallback : null;
      }
    }

    String labelOf(String fileName) {
      if (path == null) {
        return null;
      }
      if (labels == null) {
        labels = LabelFiles.labels(path, conf);
      }
      return labels.get(LabelFiles.stem(fileName));
    }

    String missing(String split, String fileName) {
      return path == null
          ? "file directly in " + split + "/ and no labels file: put it in a class folder or set ingest.labels-file"
          : "'" + LabelFiles.stem(fileName) + "' is not in the labels file " + path;
    }
  }
}
