package io.cvpipe.ingest.internal;

import io.cvpipe.common.Errors;
import io.cvpipe.common.image.QuarantineReason;
import io.cvpipe.ingest.IngestSettings;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Plans the official ILSVRC2012 tars without unpacking them: {@code ILSVRC2012_img_train.tar} (a tar of one
 * tar per class, each streamed by its own Spark task) and {@code ILSVRC2012_img_val.tar} (flat JPEGs,
 * labelled by the labels file, read at their offsets). The driver reads only the outer tar headers.
 */
public final class ImageNetTarSource {

  private ImageNetTarSource() {}

  public static SourcePlan plan(IngestSettings settings, Configuration conf) {
    Path source = new Path(settings.source());
    try {
      FileSystem fs = source.getFileSystem(conf);
      FileStatus status;
      try {
        status = fs.getFileStatus(source);
      } catch (FileNotFoundException e) {
        throw Errors.input("ingest.source " + source + " does not exist. Point it at the directory holding "
            + "ILSVRC2012_img_train.tar / ILSVRC2012_img_val.tar, or at one tar");
      }
      List<FileStatus> tars = new ArrayList<>();
      Path root = status.isDirectory() ? source : source.getParent();
      for (FileStatus s : status.isDirectory() ? fs.listStatus(source) : new FileStatus[] {status}) {
        if (s.isFile() && s.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".tar")) {
          tars.add(s);
        }
      }
      if (tars.isEmpty()) {
        throw Errors.input("ingest.source " + source + " holds no .tar file. imagenet-tar expects "
            + "ILSVRC2012_img_train.tar and/or ILSVRC2012_img_val.tar (use imagenet-folder for unpacked images)");
      }
      ImageNetLabels labels = new ImageNetLabels(settings, root, conf);
      List<SourceEntry> entries = new ArrayList<>();
      List<WorkUnit.TarStream> streams = new ArrayList<>();
      TreeMap<String, String> classes = new TreeMap<>();
      for (FileStatus tar : tars) {
        String split = splitOf(tar.getPath().getName());
        try (TarFile index = new TarFile(new HadoopSeekableChannel(fs.open(tar.getPath()), tar.getLen()))) {
          for (TarArchiveEntry e : index.getEntries()) {
            planEntry(tar.getPath().toString(), split, e, labels, entries, streams, classes);
          }
        } catch (IOException e) {
          throw Errors.input("cannot read the tar " + tar.getPath() + ": " + e.getMessage()
              + ". Check that the download is complete (its size is " + tar.getLen() + " bytes)", e);
        }
      }
      Map<String, String> names = labels.names();
      classes.replaceAll((label, name) -> names.get(label));
      return new SourcePlan(entries, streams, classes);
    } catch (IOException e) {
      throw Errors.input("cannot list ingest.source " + source + ": " + e.getMessage(), e);
    }
  }

  private static void planEntry(String tarFile, String split, TarArchiveEntry e, ImageNetLabels labels,
      List<SourceEntry> entries, List<WorkUnit.TarStream> streams, TreeMap<String, String> classes) {
    if (e.isDirectory()) {
      return;
    }
    String name = e.getName();
    String unsafe = TarNames.unsafe(name);
    if (unsafe != null) {
      entries.add(SourceEntry.tarMember(split, "unsafe/" + name, tarFile, name, e.getDataOffset(), e.getSize(), null)
          .rejectedUpfront(QuarantineReason.UNSAFE_PATH, unsafe + "; not read"));
      return;
    }
    if (!e.isFile()) {
      entries.add(SourceEntry.tarMember(split, name, tarFile, name, e.getDataOffset(), 0, null)
          .rejectedUpfront(QuarantineReason.NON_IMAGE_FILE, TarNames.notAFile(name)));
      return;
    }
    if (name.toLowerCase(Locale.ROOT).endsWith(".tar")) {
      String label = LabelFiles.stem(name);
      classes.put(label, null);
      streams.add(new WorkUnit.TarStream(tarFile, name, e.getDataOffset(), e.getSize(), split, label, null));
      return;
    }
    int slash = name.indexOf('/');
    String label = slash > 0 ? name.substring(0, slash) : labels.labelOf(name);
    SourceEntry entry = SourceEntry.tarMember(split, name, tarFile, name, e.getDataOffset(), e.getSize(), label);
    if (label == null) {
      entries.add(entry.rejectedUpfront(QuarantineReason.NO_LABEL, labels.missing(split, name)));
    } else {
      classes.put(label, null);
      entries.add(entry.requireImageName());
    }
  }

  /** ILSVRC2012_img_train.tar is train, ILSVRC2012_img_val.tar val; other tars are named after themselves. */
  static String splitOf(String tarName) {
    String n = tarName.toLowerCase(Locale.ROOT);
    if (n.contains("train")) {
      return "train";
    }
    if (n.contains("val")) {
      return "val";
    }
    if (n.contains("test")) {
      return "test";
    }
    return LabelFiles.stem(n).replaceAll("[^a-z0-9_]", "_");
  }
}
