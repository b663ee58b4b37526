package io.cvpipe.engine;

/**
 * A model for inference only: an exported SavedModel (ours, or one made elsewhere with the same convention:
 * input {@code images} float NHWC, output {@code logits}). Owns native memory: close it.
 */
public interface Predictor extends AutoCloseable {

  /** Logits, {@code count x classes}. */
  float[] predict(ImageBatch images);

  /** Number of outputs per image, known after the first call (0 before). */
  int classes();

  @Override
  void close();
}
