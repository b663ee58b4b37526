package io.cvpipe.engine;

import java.util.Map;

/** Whether TensorFlow runs oneDNN's kernels in this process. */
public final class OneDnn {

  private OneDnn() {}

  /**
   * TensorFlow's own reading of {@code TF_ENABLE_ONEDNN_OPTS}, done once when its library loads: on unless the
   * variable says {@code 0} or {@code false} (on is the default of its x86 Linux builds).
   */
  public static boolean enabled() {
    return enabled(System.getenv());
  }

  /** The same reading for a process started with {@code environment}. */
  public static boolean enabled(Map<String, String> environment) {
    String value = environment.get("TF_ENABLE_ONEDNN_OPTS");
    String v = value == null ? "" : value.trim();
    return !(v.equals("0") || v.equalsIgnoreCase("false"));
  }
}
