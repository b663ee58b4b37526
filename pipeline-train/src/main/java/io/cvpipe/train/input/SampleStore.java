package io.cvpipe.train.input;

/** Random access to the samples a training task holds, by position (what the sampler's indices mean). */
public interface SampleStore {

  int size();

  long sampleId(int index);

  int label(int index);

  byte[] image(int index);

  /** The position of {@code sampleId} (a mixing partner), or -1 when this store does not hold it. */
  int indexOf(long sampleId);
}
