package io.cvpipe.common.model;

import io.cvpipe.common.stage.Versions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Local copies of models kept on a Hadoop file system ({@code s3a://}, {@code hdfs://}): TensorFlow loads a
 * SavedModel from a local directory, so the driver and each executor copy the model once into
 * {@code java.io.tmpdir/cvpipe-models/<key>}, the key a hash of the location and of its files' names, sizes and
 * modification times (a re-exported model is a new copy). A copy is written beside its place and renamed into it,
 * so a half-copied model is never loaded, and tasks racing for it on one machine agree.
 */
public final class ModelCache {

  private ModelCache() {}

  /** A local directory with the files of the model directory at {@code location} (which must be remote). */
  public static Path local(String location, Configuration conf) {
    org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(location);
    try {
      FileSystem fs = source.getFileSystem(conf);
      if (!fs.exists(source)) {
        throw new IllegalArgumentException(location + " does not exist");
      }
      List<LocatedFileStatus> files = new ArrayList<>();
      StringBuilder listing = new StringBuilder(location);
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(source, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        files.add(f);
        listing.append('|').append(relative(source, f)).append(':').append(f.getLen()).append(':')
            .append(f.getModificationTime());
      }
      Path target = Path.of(System.getProperty("java.io.tmpdir"), "cvpipe-models", Versions.hash(listing.toString()));
      if (Files.isDirectory(target)) {
        return target;
      }
      Path partial = target.resolveSibling(target.getFileName() + ".part-" + UUID.randomUUID());
      for (FileStatus f : files) {
        Path out = partial.resolve(relative(source, f));
        Files.createDirectories(out.getParent());
        try (InputStream in = fs.open(f.getPath())) {
          Files.copy(in, out);
        }
      }
      Files.createDirectories(partial);
      try {
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        delete(partial); // another task on this machine made it first
      } catch (IOException e) {
        if (!Files.isDirectory(target)) {
          throw e;
        }
        delete(partial);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the model at " + location + " to this machine", e);
    }
  }

  private static String relative(org.apache.hadoop.fs.Path root, FileStatus file) {
    String base = root.toUri().getPath();
    String path = file.getPath().toUri().getPath();
    return path.substring(base.endsWith("/") ? base.length() : base.length() + 1);
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
