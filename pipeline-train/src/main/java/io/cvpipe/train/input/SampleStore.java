package io.cvpipe.train.input;

import io.cvpipe.common.augment.Pixels;
import java.awt.image.BufferedImage;
import java.io.IOException;

/**
 * Random access to the samples a training task holds, by position (what the sampler's indices mean). Loader
 * workers call it from several threads at once.
 */
public interface SampleStore {

  int size();

  long sampleId(int index);

  int label(int index);

  byte[] image(int index);

  /** The position of {@code sampleId} (a mixing partner), or -1 when this store does not hold it. */
  int indexOf(long sampleId);

  /** The decoded image at {@code index}; callers only read it (crops and views are new images). */
  default BufferedImage decode(int index) throws IOException {
    BufferedImage image = Pixels.decode(image(index));
    if (image == null) {
      throw new IllegalArgumentException("no decoder for these bytes");
    }
    return image;
  }
}
