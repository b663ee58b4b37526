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

  static String baseName(String name) {
    int slash = name.lastIndexOf('/');
    return slash >= 0 ? name.substring(slash + 1) : name;
  }
}
