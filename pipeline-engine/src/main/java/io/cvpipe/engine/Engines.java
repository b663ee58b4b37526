package io.cvpipe.engine;

import io.cvpipe.engine.tensorflow.TensorFlowEngine;

/** Creates engines. The one implementation is TensorFlow Java (graph mode). */
public final class Engines {

  private Engines() {}

  public static Engine tensorflow(ModelSpec model, OptimizerSpec optimizer, Device device) {
    return TensorFlowEngine.create(model, optimizer, device);
  }
}
