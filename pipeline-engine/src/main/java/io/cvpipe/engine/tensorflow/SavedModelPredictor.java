package io.cvpipe.engine.tensorflow;

import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.Predictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** A SavedModel's {@code serving_default} function: images in, logits out. */
public final class SavedModelPredictor implements Predictor {

  private final SavedModelBundle bundle;
  private final SessionFunction function;
  private int classes;

  private SavedModelPredictor(SavedModelBundle bundle, SessionFunction function) {
    this.bundle = bundle;
    this.function = function;
  }

  public static SavedModelPredictor load(Path directory) {
    if (!Files.isRegularFile(directory.resolve("saved_model.pb"))) {
      throw new IllegalArgumentException("no SavedModel in " + directory + " (saved_model.pb is missing)");
    }
    SavedModelBundle bundle = SavedModelBundle.load(directory.toString(), SavedModelBundle.DEFAULT_TAG);
    try {
      SessionFunction function = bundle.function(Signature.DEFAULT_KEY);
      if (!function.signature().inputNames().contains("images") || !function.signature().outputNames().contains("logits")) {
        throw new IllegalArgumentException("SavedModel " + directory + ": signature " + Signature.DEFAULT_KEY
            + " must take 'images' and give 'logits'; it has inputs " + function.signature().inputNames()
            + " and outputs " + function.signature().outputNames());
      }
      return new SavedModelPredictor(bundle, function);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  @Override
  public float[] predict(ImageBatch b) {
    try (TFloat32 x = TFloat32.tensorOf(Shape.of(b.count(), b.height(), b.width(), b.channels()),
        DataBuffers.of(b.pixels(), true, false)); Result out = function.call(Map.of("images", (Tensor) x))) {
      TFloat32 logits = (TFloat32) out.get("logits").orElseThrow();
      classes = (int) logits.shape().get(1);
      float[] values = new float[(int) logits.shape().size()];
      logits.copyTo(DataBuffers.of(values, false, false));
      return values;
    }
  }

  @Override
  public int classes() {
    return classes;
  }

  @Override
  public void close() {
    bundle.close();
  }
}
