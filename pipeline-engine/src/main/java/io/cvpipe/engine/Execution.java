package io.cvpipe.engine;

import java.io.Serializable;
import java.util.List;

/**
 * Where and how an engine runs: the device, the training precision, how many threads TensorFlow may use (0:
 * its default, every core), the GPU addresses this task was given ({@code TaskContext.resources()}; empty:
 * every visible one), and the replica group.
 */
public record Execution(Device device, Precision precision, int threads, List<String> gpus, Replicas replicas)
    implements Serializable {

  public Execution {
    gpus = List.copyOf(gpus);
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 (TensorFlow's default) or more, got " + threads);
    }
    if (precision == Precision.BFLOAT16 && device == Device.GPU) {
      throw new IllegalArgumentException("train.precision: bfloat16 is oneDNN's CPU rewrite and does not run on "
          + "train.device = gpu; use train.precision = float32 there, or train.device = cpu");
    }
  }

  /** One engine alone, TensorFlow's default threads. */
  public static Execution local(Device device, Precision precision) {
    return new Execution(device, precision, 0, List.of(), Replicas.single());
  }
}
