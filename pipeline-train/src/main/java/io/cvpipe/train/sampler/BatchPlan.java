package io.cvpipe.train.sampler;

/**
 * One batch as CVNets' samplers make it: the crop size the loader resizes every sample to, and which
 * samples (positions in the sampler's index list).
 */
public record BatchPlan(int cropHeight, int cropWidth, int[] indices) {

  public int size() {
    return indices.length;
  }
}
