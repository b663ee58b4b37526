package io.cvpipe.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.Pixels;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a model to evaluate expects and where it came from: read from the {@code model.json} that cvpipe
 * writes beside each export, or, for a SavedModel made elsewhere, from {@code eval.input-size} and
 * {@code eval.input-channels} with ImageNet's normalisation.
 *
 * @param location the model directory (a string: records cross to executors, and paths do not serialise)
 * @param trainingRun the cvpipe training run that exported it (null for a foreign model)
 * @param architecture e.g. {@code resnet18x0.25} (null for a foreign model)
 * @param classes the class labels it was trained on, in class_index order (empty for a foreign model)
 */
public record ModelInput(String location, int height, int width, int channels, float[] mean, float[] std,
    String trainingRun, String architecture, List<String> classes) implements Serializable {

  public static final String DESCRIPTION = "model.json";

  /** {@code eval.model} as a directory, or as a run name under {@code eval.models-dir} (its best export). */
  static Path resolve(EvalSettings settings) {
    Path given = Path.of(settings.model());
    if (Files.isDirectory(given)) {
      return requireSavedModel(given);
    }
    Path ofRun = Path.of(settings.modelsDir(), settings.model(), "best");
    if (!settings.model().contains("/") && Files.isDirectory(ofRun)) {
      return requireSavedModel(ofRun);
    }
    throw Errors.setting("eval.model", "'" + settings.model() + "' is neither a model directory nor a training run "
        + "with an export in " + ofRun + ". Pass an exported SavedModel directory (e.g. models/RUN/best) or a run "
        + "name from cvpipe.runs.train_metrics");
  }

  private static Path requireSavedModel(Path dir) {
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      throw Errors.setting("eval.model", dir + " has no saved_model.pb: it is not an exported TensorFlow SavedModel "
          + "(cvpipe train writes them to <models-dir>/<run>/final, best and ema)");
    }
    return dir.toAbsolutePath().normalize();
  }

  static ModelInput read(Path dir, EvalSettings settings) {
    Path file = dir.resolve(DESCRIPTION);
    if (!Files.isRegularFile(file)) {
      int c = settings.inputChannels();
      return new ModelInput(dir.toString(), settings.inputSize(), settings.inputSize(), c,
          c == 1 ? new float[] {0.5f} : Pixels.IMAGENET_MEAN, c == 1 ? new float[] {0.25f} : Pixels.IMAGENET_STD,
          null, null, List.of());
    }
    try {
      JsonNode json = new ObjectMapper().readTree(file.toFile());
      JsonNode input = json.path("input");
      JsonNode norm = json.path("normalisation");
      List<String> classes = new ArrayList<>();
      json.path("classes").forEach(n -> classes.add(n.asText()));
      int channels = input.path("channels").asInt(3);
      float[] mean = floats(norm.path("mean"), channels, file);
      float[] std = floats(norm.path("std"), channels, file);
      String architecture = json.hasNonNull("model")
          ? json.get("model").asText() + "x" + json.path("width").asText("1.0") : null;
      return new ModelInput(dir.toString(), input.path("height").asInt(settings.inputSize()),
          input.path("width").asInt(settings.inputSize()), channels, mean, std,
          json.hasNonNull("run") ? json.get("run").asText() : null, architecture, List.copyOf(classes));
    } catch (IOException e) {
      throw Errors.input(file + " is not readable JSON: " + e.getMessage(), e);
    }
  }

  private static float[] floats(JsonNode array, int channels, Path file) {
    if (!array.isArray() || array.size() != channels) {
      throw Errors.input(file + ": normalisation mean and std need " + channels + " values each (one per channel)");
    }
    float[] out = new float[channels];
    for (int i = 0; i < channels; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  public Path directory() {
    return Path.of(location);
  }
}
