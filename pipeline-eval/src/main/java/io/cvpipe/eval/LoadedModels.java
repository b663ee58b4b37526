package io.cvpipe.eval;

import io.cvpipe.engine.Engines;
import io.cvpipe.engine.Predictor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * SavedModels loaded once per JVM (per executor, and the driver, which in local mode is the same JVM), shared
 * by the tasks that run there: a TensorFlow session serves concurrent calls. They live as long as the JVM.
 */
final class LoadedModels {

  private static final Map<Path, Predictor> LOADED = new HashMap<>();

  private LoadedModels() {}

  static synchronized Predictor get(Path directory) {
    return LOADED.computeIfAbsent(directory, Engines::savedModel);
  }
}
