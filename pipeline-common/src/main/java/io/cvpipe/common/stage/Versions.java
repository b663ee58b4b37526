package io.cvpipe.common.stage;

import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.table.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.Snapshot;
import org.apache.spark.sql.SparkSession;

/**
 * The versions of what stages read and write, as {@link DataRef}s: a table's current snapshot, a model
 * directory's model.json fingerprint on any Hadoop file system ({@code s3a://}, {@code hdfs://}, local).
 */
public final class Versions {

  private Versions() {}

  public static DataRef table(SparkSession spark, String name) {
    if (!Tables.exists(spark, name)) {
      return new DataRef(DataRef.Kind.TABLE, name, DataRef.ABSENT);
    }
    Snapshot current = Tables.iceberg(spark, name).currentSnapshot();
    return new DataRef(DataRef.Kind.TABLE, name, current == null ? "none" : String.valueOf(current.snapshotId()));
  }

  public static DataRef model(SparkSession spark, String directory) {
    return model(spark.sparkContext().hadoopConfiguration(), directory);
  }

  public static DataRef model(Configuration conf, String directory) {
    Path description = new Path(directory, ModelInput.DESCRIPTION);
    try {
      FileSystem fs = description.getFileSystem(conf);
      if (!fs.isFile(description)) {
        return new DataRef(DataRef.Kind.MODEL, directory, DataRef.ABSENT);
      }
      try (InputStream in = fs.open(description)) {
        return new DataRef(DataRef.Kind.MODEL, directory, hash(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + description, e);
    }
  }

  /** Whether {@code location} names a file system other than the local one ({@code s3a://b/m}, {@code hdfs://...}). */
  public static boolean remote(String location) {
    try {
      String scheme = URI.create(location.replace(" ", "%20")).getScheme();
      return scheme != null && scheme.length() > 1 && !scheme.equals("file");
    } catch (IllegalArgumentException e) {
      return false; // not a URI (a local path with characters a URI cannot hold)
    }
  }

  /** SHA-256 of the text, its first 8 bytes in hex: a fingerprint, not a signature. */
  public static String hash(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
