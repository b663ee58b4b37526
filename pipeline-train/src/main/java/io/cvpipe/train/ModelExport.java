package io.cvpipe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.train.sampler.Scale;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An exported model: the SavedModel, and {@code model.json} beside it naming the classes (in class_index
 * order), the input size and layout, and the normalisation, so that eval and reinforce (or anyone) can feed
 * it without knowing how it was trained.
 */
final class ModelExport {

  static final String DESCRIPTION = "model.json";

  private ModelExport() {}

  static void write(Engine engine, Path dir, TrainSettings settings, List<String> labels, EpochMetrics epoch,
      float[] mean, float[] std, boolean ema) {
    deleteIfPresent(dir); // a run killed while exporting leaves a partial one: write it anew
    engine.exportSavedModel(dir, ema);
    Map<String, Object> description = new LinkedHashMap<>();
    description.put("format", "tensorflow-saved-model");
    description.put("signature", "serving_default");
    description.put("input", Map.of("name", "images", "layout", "NHWC", "dtype", "float32",
        "height", settings.sampler().baseHeight(), "width", settings.sampler().baseWidth(),
        "channels", settings.channels()));
    description.put("output", Map.of("name", "logits", "classes", labels.size()));
    description.put("normalisation", Map.of("formula", "(pixel / 255 - mean) / std", "mean", mean, "std", std,
        "resize", "shorter side to size / crop-fraction, centre crop", "crop-fraction", settings.valCropFraction()));
    description.put("classes", labels);
    description.put("model", settings.model());
    description.put("width", settings.width());
    description.put("stem", Map.of("stride", settings.stemStride(), "max-pool", settings.stemPool()));
    description.put("output-stride", settings.outputStride()); // 0: the architecture's own
    if (!settings.transformer().equals(ModelSpec.Transformer.DEFAULT)) {
      description.put("transformer", Map.of("patch-size", settings.transformer().patch(), "depth",
          settings.transformer().depth(), "dropout", settings.transformer().dropout(), "drop-path",
          settings.transformer().dropPath(), "token-pooling", Map.of("after", settings.transformer().pooling().after(),
          "keep", settings.transformer().pooling().keep())));
    }
    // the kernels this process trained with (TF_ENABLE_ONEDNN_OPTS, see train.onednn)
    description.put("trained-kernels", OneDnn.enabled() ? "onednn" : "eigen");
    description.put("parameters", engine.parameterCount());
    // one image's forward pass at the training base size, as the engine counts it (a multiply-add is two)
    description.put("forward-gflops", Engines.forwardFlops(settings.modelSpec(labels.size()),
        settings.sampler().baseHeight(), settings.sampler().baseWidth()) / 1e9);
    description.put("trained-precision", settings.precision().code());
    description.put("augment", Map.of("random-resized-crop-min-scale", settings.cropMinScale(), "mirror", true,
        "random-erasing", settings.erasingProbability()));
    description.put("sampler", Map.of("kind", settings.sampler().kind().code(),
        "crop-sizes", settings.sampler().scales().stream().map(Scale::height).toList()));
    description.put("run", settings.run());
    description.put("dataset", settings.dataset());
    description.put("epoch", epoch.epoch());
    description.put("weights", ema ? "exponential moving average (momentum " + settings.optimizer().emaMomentum() + ")"
        : "trained");
    description.put("top1", ema ? epoch.emaTop1() : epoch.top1());
    try {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(DESCRIPTION).toFile(), description);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(DESCRIPTION), e);
    }
  }

  /** Removes {@code dir} and everything in it, when it exists. */
  static void deleteIfPresent(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the earlier export " + dir, e);
    }
  }
}
