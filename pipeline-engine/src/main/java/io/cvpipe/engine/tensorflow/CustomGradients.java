package io.cvpipe.engine.tensorflow;

import java.util.HashSet;
import java.util.Set;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.RawCustomGradient;

/**
 * Gradients the engine registers through TF Java's custom-gradient hook for ops that TensorFlow's C++ gradient
 * registry lacks, once per op type and process (the hook refuses a second registration).
 */
final class CustomGradients {

  private static final Set<String> REGISTERED = new HashSet<>();

  private CustomGradients() {}

  static synchronized void registerOnce(String opType, RawCustomGradient gradient) {
    if (REGISTERED.add(opType)) {
      TensorFlow.registerCustomGradient(opType, gradient);
    }
  }
}
