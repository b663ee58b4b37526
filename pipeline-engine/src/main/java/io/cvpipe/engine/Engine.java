package io.cvpipe.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * The math of training and inference, behind one interface so that samplers, input pipelines and the loss
 * bookkeeping never know which library runs it (the TensorFlow Java implementation is the only one now).
 * An engine owns native memory: close it.
 */
public interface Engine extends AutoCloseable {

  /**
   * One optimiser step: cross-entropy of the logits against {@code targets} (a probability distribution per
   * image: one-hot, label-smoothed, or a teacher's), batch-norm in training mode. Returns the mean loss.
   */
  float trainStep(ImageBatch images, float[] targets, float learningRate);

  /**
   * {@link #trainStep}, traced: also how long the step, its all-reduces and each type of op took. Tracing costs
   * time; call it on the steps that are logged, not on every one.
   */
  default StepProfile profiledTrainStep(ImageBatch images, float[] targets, float learningRate) {
    long start = System.nanoTime();
    float loss = trainStep(images, targets, learningRate);
    return new StepProfile(loss, (System.nanoTime() - start) / 1e6, 0, List.of());
  }

  /**
   * {@link #predict} traced: its op run times summed per op type (empty where the engine cannot trace), the loss
   * not applicable (NaN).
   */
  default StepProfile profiledPredict(ImageBatch images) {
    long start = System.nanoTime();
    predict(images);
    return new StepProfile(Float.NaN, (System.nanoTime() - start) / 1e6, 0, List.of());
  }

  /** Logits, {@code count x classes}, batch-norm with its moving statistics. */
  float[] predict(ImageBatch images);

  /** Whether the engine keeps an exponential moving average of its weights (EMA momentum above 0). */
  boolean hasEma();

  /** Logits of the network with the moving averages of the weights and statistics; needs {@link #hasEma}. */
  float[] predictEma(ImageBatch images);

  /** Mean loss without updating anything (batch-norm in training mode, as in trainStep). */
  float loss(ImageBatch images, float[] targets);

  int classes();

  /** Number of trainable parameters. */
  long parameterCount();

  /** Writes all variables (weights, batch-norm statistics, momentum) under {@code directory}. */
  void saveCheckpoint(Path directory);

  /** Reads what {@link #saveCheckpoint} wrote; the graph must be the same model. */
  void restoreCheckpoint(Path directory);

  /**
   * Writes a TensorFlow SavedModel of the inference network to {@code directory} (signature
   * {@code serving_default}: input {@code images}, float NHWC; output {@code logits}).
   */
  default void exportSavedModel(Path directory) {
    exportSavedModel(directory, false);
  }

  /** As {@link #exportSavedModel(Path)}, of the moving-average network when {@code averaged}. */
  void exportSavedModel(Path directory, boolean averaged);

  /** The replica group this engine trains in ({@link Replicas#single()} when alone). */
  default Replicas replicas() {
    return Replicas.single();
  }

  /**
   * Gives every member of the group rank 0's variables (weights, statistics, optimiser state): after a restore
   * on rank 0, or to start from one initialisation. Collective: every member calls it at the same point.
   */
  default void broadcastState() {}

  /** The element-wise sums of {@code values} over the group (at most 16). Collective, as above. */
  default double[] sumOverReplicas(double... values) {
    return values.clone();
  }

  /** SHA-256 (first 16 hex digits) of the trainable weights: equal digests mean replicas hold the same model. */
  String weightsDigest();

  @Override
  void close();
}
