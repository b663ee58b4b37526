package io.cvpipe.train.input;

/** Random access to the samples a training task holds, by position (what the sampler's indices mean). */
public interface SampleStore {

  int size();

  long sampleId(int index);

  int label(int index);

  byte[] image(int index);
}
