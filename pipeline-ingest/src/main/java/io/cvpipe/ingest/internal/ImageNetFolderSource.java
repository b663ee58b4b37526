package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
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
import org.apache.hadoop.fs.Path;

/**
 * Plans an ImageNet-style directory: {@code SOURCE/<split>/<class>/<file>}, and flat split directories
 * ({@code SOURCE/val/<file>}) labelled by a labels file. Lists on the driver (Hadoop FileSystem, so local,
 * HDFS and s3a alike); reads no image.
 */
public final class ImageNetFolderSource {

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
      ImageNetLabels labels = new ImageNetLabels(settings, root, conf);
      List<SourceEntry> entries = new ArrayList<>();
      TreeMap<String, String> classes = new TreeMap<>();
      for (FileStatus split : splits) {
        planSplit(fs, split.getPath(), labels, entries, classes);
      }
      Map<String, String> names = labels.names();
      classes.replaceAll((label, name) -> names.get(label));
      return new SourcePlan(entries, List.of(), classes);
    } catch (IOException e) {
      throw Errors.input("cannot list ingest.source " + root + ": " + e.getMessage(), e);
    }
  }

  private static void planSplit(FileSystem fs, Path splitDir, ImageNetLabels flatLabels, List<SourceEntry> entries,
      TreeMap<String, String> classes) throws IOException {
    String split = splitDir.getName();
    for (FileStatus child : fs.listStatus(splitDir)) {
      String name = child.getPath().getName();
      if (child.isDirectory()) {
        String label = name;
        classes.put(label, null);
        for (FileStatus file : Listing.files(fs, child.getPath())) {
          String relative = label + "/" + relativeTo(child.getPath(), file.getPath());
          entries.add(SourceEntry.file(split, relative, file.getPath().toString(), file.getLen(), label).requireImageName());
        }
      } else {
        String label = flatLabels.labelOf(name);
        SourceEntry entry = SourceEntry.file(split, name, child.getPath().toString(), child.getLen(), label);
        if (label == null) {
          entries.add(entry.rejectedUpfront(QuarantineReason.NO_LABEL, flatLabels.missing(split, name)));
        } else {
          classes.put(label, null);
          entries.add(entry.requireImageName());
        }
      }
    }
  }

  private static String relativeTo(Path dir, Path file) {
    String d = dir.toUri().getPath();
    String f = file.toUri().getPath();
    return f.startsWith(d + "/") ? f.substring(d.length() + 1) : file.getName();
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }
}
