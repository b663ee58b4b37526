package io.cvpipe.engine;

/** Images as the engine takes them: float pixels, NHWC, already normalised. */
public record ImageBatch(float[] pixels, int count, int height, int width, int channels) {

  public ImageBatch {
    if ((long) count * height * width * channels != pixels.length) {
      throw new IllegalArgumentException("expected " + count + "x" + height + "x" + width + "x" + channels
          + " = " + ((long) count * height * width * channels) + " floats, got " + pixels.length);
    }
  }
}
