package io.cvpipe.common;

import java.util.Collection;
import java.util.stream.Collectors;

/** The one place user-facing errors are made, so that they all name the value, the key and the way out. */
public final class Errors {

  private Errors() {}

  public static CvpipeException setting(String key, String problem) {
    return new CvpipeException(CvpipeException.Kind.SETTINGS, key + ": " + problem, null);
  }

  public static CvpipeException setting(String key, String problem, Throwable cause) {
    return new CvpipeException(CvpipeException.Kind.SETTINGS, key + ": " + problem, cause);
  }

  public static CvpipeException unknownValue(String key, Object value, Collection<?> allowed) {
    String expected = allowed.stream().map(String::valueOf).collect(Collectors.joining(", "));
    return setting(key, "unknown value '" + value + "'. Expected one of: " + expected);
  }

  public static CvpipeException missingSetting(String key, String example) {
    return setting(key, "is required. Set it with --set " + key + "=" + example);
  }

  public static CvpipeException usage(String message) {
    return new CvpipeException(CvpipeException.Kind.SETTINGS, message, null);
  }

  public static CvpipeException input(String message) {
    return new CvpipeException(CvpipeException.Kind.INPUT, message, null);
  }

  public static CvpipeException input(String message, Throwable cause) {
    return new CvpipeException(CvpipeException.Kind.INPUT, message, cause);
  }

  public static CvpipeException state(String message) {
    return new CvpipeException(CvpipeException.Kind.STATE, message, null);
  }
}
