package io.cvpipe.engine;

import java.util.Locale;

/** Whether TensorFlow runs oneDNN's kernels in this process. */
public final class OneDnn {

  private OneDnn() {}

  /**
   * TensorFlow's own reading of {@code TF_ENABLE_ONEDNN_OPTS}, done once when its library loads: on unless the
   * variable says {@code 0} or {@code false} (on is the default of its x86 Linux builds).
   */
  public static boolean enabled() {
    String value = System.getenv("TF_ENABLE_ONEDNN_OPTS");
    return value == null || !(value.trim().equals("0") || value.trim().toLowerCase(Locale.ROOT).equals("false"));
  }
}
