package io.cvpipe.engine;

import io.cvpipe.engine.tensorflow.NativeDecoder;

/**
 * Image decoding in TensorFlow's native code (libjpeg-turbo, libpng), for callers outside this module: ingest's
 * {@code native} validation. No {@code org.tensorflow} type crosses this boundary.
 */
public final class ImageDecoding {

  private ImageDecoding() {}

  /**
   * Decodes JPEG or PNG bytes on the calling thread and returns the decoded {@code {height, width}}: a JPEG
   * DCT-scaled to 1/8 (every coefficient is still entropy-decoded, only the inverse transforms shrink), so
   * {@code ceil(h / 8), ceil(w / 8)}; a PNG in full. Bytes the decoder refuses are an
   * {@link IllegalArgumentException} with its message.
   */
  public static int[] scaledShape(byte[] bytes) {
    return NativeDecoder.forThisThread().scaledShape(bytes);
  }
}
