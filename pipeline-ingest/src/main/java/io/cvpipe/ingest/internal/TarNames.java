package io.cvpipe.ingest.internal;

/** Tar entry names that could escape an extraction directory are refused, never followed. */
final class TarNames {

  private TarNames() {}

  /** Why {@code name} is unsafe, or null when it is a plain relative path. */
  static String unsafe(String name) {
    if (name.startsWith("/") || name.startsWith("\\") || name.matches("^[A-Za-z]:.*")) {
      return "absolute path '" + name + "' in the tar";
    }
    for (String part : name.split("[/\\\\]")) {
      if (part.equals("..")) {
        return "'..' in tar entry name '" + name + "'";
      }
    }
    return null;
  }

  /** The quarantine message for a tar entry that is a link or a device rather than a file. */
  static String notAFile(String name) {
    return "tar entry '" + name + "' is a link or device, not a file";
  }
}
