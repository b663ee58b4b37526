package io.cvpipe.engine;

import io.cvpipe.engine.tensorflow.SavedModelPredictor;
import io.cvpipe.engine.tensorflow.TensorFlowEngine;
import java.nio.file.Path;

/** Creates engines. The one implementation is TensorFlow Java (graph mode). */
public final class Engines {

  private Engines() {}

  public static Engine tensorflow(ModelSpec model, OptimizerSpec optimizer, Device device) {
    return TensorFlowEngine.create(model, optimizer, device);
  }

  /** Loads an exported SavedModel for inference. */
  public static Predictor savedModel(Path directory) {
    return SavedModelPredictor.load(directory);
  }
}
