package io.cvpipe.engine;

import io.cvpipe.engine.tensorflow.FlopCount;
import io.cvpipe.engine.tensorflow.SavedModelPredictor;
import io.cvpipe.engine.tensorflow.TensorFlowEngine;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Creates engines. The one implementation is TensorFlow Java (graph mode). */
public final class Engines {

  private static final Map<Path, Predictor> SHARED = new HashMap<>();

  private Engines() {}

  public static Engine tensorflow(ModelSpec model, OptimizerSpec optimizer, Device device) {
    return TensorFlowEngine.create(model, optimizer, device);
  }

  /** An engine that trains in {@code precision} (see {@link Precision}). */
  public static Engine tensorflow(ModelSpec model, OptimizerSpec optimizer, Device device, Precision precision) {
    return TensorFlowEngine.create(model, optimizer, device, precision);
  }

  /** An engine placed and grouped as {@code execution} says: one member of a replica group when it has several. */
  public static Engine tensorflow(ModelSpec model, OptimizerSpec optimizer, Execution execution) {
    return TensorFlowEngine.create(model, optimizer, execution);
  }

  /**
   * Milliseconds one member of {@code execution}'s group spends all-reducing (mean) tensors shaped as
   * {@code model}'s parameters, without the model's compute; every member calls it at once. For benchmarks.
   */
  public static double allReduceMillis(ModelSpec model, Execution execution, int warmup, int steps) {
    return io.cvpipe.engine.tensorflow.AllReduceTiming.millisPerStep(model, execution, warmup, steps);
  }

  /**
   * Floating-point operations of one {@code height x width} image's forward pass (a multiply-add counts two;
   * convolutions and matrix products only, see {@link FlopCount}).
   */
  public static long forwardFlops(ModelSpec model, int height, int width) {
    return FlopCount.forward(model, height, width);
  }

  /** Loads an exported SavedModel for inference. */
  public static Predictor savedModel(Path directory) {
    return SavedModelPredictor.load(directory);
  }

  /**
   * The SavedModel at {@code directory}, loaded once per JVM (per executor, and the driver, which in local mode
   * is the same JVM) and shared by the tasks that run there: a TensorFlow session serves concurrent calls. It
   * lives as long as the JVM; do not close it.
   */
  public static synchronized Predictor shared(Path directory) {
    return SHARED.computeIfAbsent(directory, Engines::savedModel);
  }

  /**
   * Logits per image of the shared SavedModel at {@code directory}, from one all-zero {@code height x width x
   * channels} image: how stages check a model fits their dataset before any Spark work. An input the model
   * cannot take is an {@link IllegalArgumentException} saying which.
   */
  public static int logitsPerImage(Path directory, int height, int width, int channels) {
    try {
      return shared(directory).predict(new ImageBatch(new float[height * width * channels], 1, height, width, channels))
          .length;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(directory + " does not take " + height + "x" + width + "x" + channels
          + " float NHWC images as input 'images' (" + e.getMessage() + ")", e);
    }
  }
}
