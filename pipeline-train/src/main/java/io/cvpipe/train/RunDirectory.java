package io.cvpipe.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Where a run keeps its files: {@code train.models-dir/<run>}, a local directory or a directory of any Hadoop
 * file system ({@code s3a://}, {@code hdfs://}). On a cluster the executors' disks are not where anybody looks,
 * and TensorFlow writes only local files, so a remote run works in a local mirror: {@link #pull} brings what it
 * needs from the remote directory, {@link #publish} sends what changed (each checkpoint's {@code epoch.properties},
 * the file that marks it complete, after the checkpoint's other files) and removes what the mirror pruned. With
 * a local models-dir the mirror is the directory itself and both are no-ops.
 */
final class RunDirectory implements Serializable {

  private final String remote;
  /** The local directory, or (remote) the mirror's name under this machine's temporary directory. */
  private final String localName;
  private final SerializableConfiguration conf;
  /**
   * Relative path to size and modification time of the files this process knows the remote directory to have as
   * the mirror has them; per process (another machine's mirror is another), so never serialised.
   */
  private transient Map<String, String> published;

  private RunDirectory(String remote, String localName, SerializableConfiguration conf) {
    this.remote = remote;
    this.localName = localName;
    this.conf = conf;
  }

  static RunDirectory of(TrainSettings settings, Configuration conf) {
    String dir = settings.modelsDir();
    String scheme = dir.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") ? URI.create(dir).getScheme() : null;
    if (scheme == null || scheme.equals("file")) {
      Path path = scheme == null ? Path.of(dir) : Path.of(URI.create(dir));
      return new RunDirectory(null, path.resolve(settings.run()).toString(), null);
    }
    String remote = (dir.endsWith("/") ? dir : dir + "/") + settings.run();
    // the same mirror for the same remote directory, so that a resumed run finds what it pulled before
    String mirror = settings.run() + "-" + UUID.nameUUIDFromBytes(remote.getBytes(StandardCharsets.UTF_8));
    return new RunDirectory(remote, mirror, new SerializableConfiguration(conf));
  }

  /** The directory training reads and writes (the mirror of a remote run, under this machine's temporary directory). */
  Path local() {
    return remote == null ? Path.of(localName) : Path.of(System.getProperty("java.io.tmpdir"), "cvpipe-runs", localName);
  }

  private Map<String, String> published() {
    if (published == null) {
      published = new HashMap<>();
    }
    return published;
  }

  /** Where the run's files are for its users: the remote directory, or the local one. */
  String location() {
    return remote != null ? remote : localName;
  }

  /** The user-facing location of {@code file}, a path in a mirror of this run (this process's or another's). */
  String locate(String file) {
    if (remote == null) {
      return file;
    }
    Path local = local();
    String path = file.replace('\\', '/');
    Path p = Path.of(file);
    if (p.startsWith(local)) {
      return remote + "/" + local.relativize(p).toString().replace('\\', '/');
    }
    int checkpoints = path.indexOf("/checkpoints/");
    return checkpoints < 0 ? file : remote + path.substring(checkpoints);
  }

  private static String stamp(Path file) throws IOException {
    return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
  }

  /** Metadata only: the layout and every checkpoint's metrics, not weights or exported models. */
  static boolean metadata(String relative) {
    return relative.endsWith(".properties");
  }

  /** Copies the remote files {@code wanted} accepts that the mirror lacks (or holds at another size). */
  void pull(Predicate<String> wanted) {
    if (remote == null) {
      return;
    }
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(remote);
    Path local = local();
    Map<String, String> published = published();
    try {
      FileSystem fs = root.getFileSystem(conf.value());
      if (!fs.exists(root)) { // a new run, or one deleted remotely: nothing of an older mirror counts
        deleteMirror();
        return;
      }
      String prefix = fs.makeQualified(root).toString();
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true);
      while (files.hasNext()) {
        LocatedFileStatus status = files.next();
        String relative = status.getPath().toString().substring(prefix.length() + 1);
        Path target = local.resolve(relative);
        if (!wanted.test(relative) || Files.isRegularFile(target) && Files.size(target) == status.getLen()) {
          if (Files.isRegularFile(target)) {
            published.putIfAbsent(relative, stamp(target));
          }
          continue;
        }
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".pulling");
        try (InputStream in = fs.open(status.getPath())) {
          Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        published.put(relative, stamp(target));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the run directory " + remote, e);
    }
  }

  /**
   * Sends the mirror's new and changed files to the remote directory (properties files last, so that a checkpoint
   * is complete there only once its weights are), and removes remote files the mirror no longer has.
   */
  void publish() {
    if (remote == null) {
      return;
    }
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(remote);
    Path local = local();
    Map<String, String> published = published();
    try {
      FileSystem fs = root.getFileSystem(conf.value());
      if (!Files.isDirectory(local)) {
        return;
      }
      List<Path> files;
      try (Stream<Path> walk = Files.walk(local)) {
        files = new ArrayList<>(walk.filter(Files::isRegularFile)
            .filter(f -> !f.getFileName().toString().endsWith(".tmp") && !f.getFileName().toString().endsWith(".pulling"))
            .toList());
      }
      files.sort(Comparator.comparing((Path f) -> metadata(f.toString())).thenComparing(Path::toString));
      Map<String, String> present = new HashMap<>();
      for (Path file : files) {
        String relative = local.relativize(file).toString().replace('\\', '/');
        String stamp = stamp(file);
        present.put(relative, stamp);
        if (stamp.equals(published.get(relative))) {
          continue;
        }
        // plain writes: S3A's copyFromLocalFile (its transfer manager) is more than a create and a stream
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(root, relative), true)) {
          Files.copy(file, out);
        }
        published.put(relative, stamp);
      }
      for (String gone : new ArrayList<>(published.keySet())) {
        if (!present.containsKey(gone)) {
          fs.delete(new org.apache.hadoop.fs.Path(root, gone), false);
          published.remove(gone);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the run directory " + remote, e);
    }
  }

  private void deleteMirror() throws IOException {
    published().clear();
    Path local = local();
    if (!Files.isDirectory(local)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(local)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
