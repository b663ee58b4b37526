package io.cvpipe.reinforce.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Teacher SavedModels for tests: a randomly initialised network is a deterministic, pixel-sensitive function
 * of its input (so a replay that is one pixel off shows in its probabilities), exported with a model.json as
 * cvpipe's training writes one.
 */
public final class Teachers {

  private Teachers() {}

  /** An untrained {@code model} (e.g. cnn2) for {@code size x size x 3} ImageNet-normalised input at {@code dir}. */
  public static Path untrained(Path dir, String model, List<String> classes, int size, long seed) {
    try (Engine engine = Engines.tensorflow(new ModelSpec(model, 1.0, classes.size(), 3, 1, false, seed),
        OptimizerSpec.sgd(0), Device.CPU)) {
      engine.exportSavedModel(dir);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("input", Map.of("name", "images", "height", size, "width", size, "channels", 3));
    json.put("normalisation", Map.of("mean", Pixels.IMAGENET_MEAN, "std", Pixels.IMAGENET_STD));
    json.put("classes", classes);
    json.put("model", model);
    json.put("width", 1.0);
    json.put("run", dir.getParent().getFileName().toString());
    try {
      new ObjectMapper().writeValue(dir.resolve(ModelInput.DESCRIPTION).toFile(), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
