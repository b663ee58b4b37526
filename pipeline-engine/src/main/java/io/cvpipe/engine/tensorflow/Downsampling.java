package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ModelSpec;

/**
 * The running downsampling of a network as it is built: each layer asks for its published stride and gets it
 * until the product would pass {@link ModelSpec#outputStride()}; from there on it runs at stride 1.
 */
final class Downsampling {

  private final int outputStride;
  private int reduction = 1;

  Downsampling(ModelSpec spec) {
    this.outputStride = spec.outputStride();
  }

  /** The stride to use for a layer whose published stride is {@code stride}. */
  int stride(int stride) {
    if (outputStride > 0 && (long) reduction * stride > outputStride) {
      return 1;
    }
    reduction *= stride;
    return stride;
  }
}
