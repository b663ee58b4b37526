package io.cvpipe.common.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.stage.Versions;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/**
 * What an exported model expects and where it came from (an evaluated model, a reinforce teacher): read
 * from the {@code model.json} that cvpipe writes beside each export, or, for a SavedModel made elsewhere,
 * from the stage's input-size and input-channels settings with ImageNet's normalisation.
 *
 * @param location the model directory (a string: records cross to executors, and paths do not serialise)
 * @param trainingRun the cvpipe training run that exported it (null for a foreign model)
 * @param architecture e.g. {@code resnet18x0.25} (null for a foreign model)
 * @param classes the class labels it was trained on, in class_index order (empty for a foreign model)
 * @param cropFraction the validation view's centre crop as a fraction of the shorter side (model.json's
 *     {@code normalisation.crop-fraction}; {@link RandomResizedCrop#CROP_FRACTION} when it does not say)
 * @param source where the model lives when that is a Hadoop file system ({@code s3a://...}); {@code location} is
 *     then this JVM's local copy ({@link ModelCache}), and {@link #onThisMachine} makes one on an executor. Null for
 *     a local model.
 */
public record ModelInput(String location, int height, int width, int channels, float[] mean, float[] std,
    String trainingRun, String architecture, List<String> classes, double cropFraction, String source)
    implements Serializable {

  public static final String DESCRIPTION = "model.json";

  /**
   * {@code given} as a SavedModel directory, or as a training run name under {@code modelsDir} (its best
   * export); errors name {@code settingKey}.
   */
  public static Path resolve(String given, String modelsDir, String settingKey) {
    Path dir = Path.of(given);
    if (Files.isDirectory(dir)) {
      return requireSavedModel(dir, settingKey);
    }
    Path ofRun = Path.of(modelsDir, given, "best");
    if (!given.contains("/") && Files.isDirectory(ofRun)) {
      return requireSavedModel(ofRun, settingKey);
    }
    throw Errors.setting(settingKey, "'" + given + "' is neither a model directory nor a training run "
        + "with an export in " + ofRun + ". Pass an exported SavedModel directory (e.g. models/RUN/best) or a run "
        + "name from cvpipe.runs.train_metrics");
  }

  /**
   * Where {@link #resolve} looks for {@code given}, as a string for lineage (the model need not exist yet): the
   * directory itself when it has a '/', otherwise the run's best export under {@code modelsDir}.
   */
  public static String location(String given, String modelsDir) {
    return given.contains("/") ? given : modelsDir + "/" + given + "/best";
  }

  /**
   * {@code dir} as an exported SavedModel (absolute, normalised), or an error for {@code settingKey} saying
   * what is missing.
   */
  public static Path requireSavedModel(Path dir, String settingKey) {
    return requireSavedModel(dir, dir.toString(), settingKey);
  }

  /** As {@link #requireSavedModel(Path, String)}, the error naming the model as {@code shownAs}. */
  private static Path requireSavedModel(Path dir, String shownAs, String settingKey) {
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      throw Errors.setting(settingKey, shownAs + " has no saved_model.pb: it is not an exported TensorFlow SavedModel "
          + "(cvpipe train writes them to <models-dir>/<run>/final, best and ema)");
    }
    return dir.toAbsolutePath().normalize();
  }

  /**
   * What {@code dir}'s model.json says, or for a model without one a square {@code fallbackSize} input of
   * {@code fallbackChannels} with ImageNet's normalisation (one channel: mean 0.5, std 0.25).
   */
  public static ModelInput read(Path dir, int fallbackSize, int fallbackChannels) {
    Path file = dir.resolve(DESCRIPTION);
    if (!Files.isRegularFile(file)) {
      int c = fallbackChannels;
      return new ModelInput(dir.toString(), fallbackSize, fallbackSize, c,
          c == 1 ? new float[] {0.5f} : Pixels.IMAGENET_MEAN, c == 1 ? new float[] {0.25f} : Pixels.IMAGENET_STD,
          null, null, List.of(), RandomResizedCrop.CROP_FRACTION, null);
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
      return new ModelInput(dir.toString(), input.path("height").asInt(fallbackSize),
          input.path("width").asInt(fallbackSize), channels, mean, std,
          json.hasNonNull("run") ? json.get("run").asText() : null, architecture, List.copyOf(classes),
          cropFraction(norm.path("crop-fraction"), file), null);
    } catch (IOException e) {
      throw Errors.input(file + " is not readable JSON: " + e.getMessage(), e);
    }
  }

  private static double cropFraction(JsonNode value, Path file) {
    if (value.isMissingNode()) {
      return RandomResizedCrop.CROP_FRACTION; // exported before cvpipe wrote it: the view it was validated with
    }
    double f = value.asDouble(Double.NaN);
    if (!(f > 0 && f <= 1)) {
      throw Errors.input(file + ": normalisation crop-fraction must be a number above 0 and at most 1, got " + value);
    }
    return f;
  }

  /** This model seen through another validation crop ({@code eval.crop-fraction}). */
  public ModelInput withCropFraction(double fraction) {
    return with(location, fraction, source);
  }

  private ModelInput with(String location, double cropFraction, String source) {
    return new ModelInput(location, height, width, channels, mean, std, trainingRun, architecture, classes,
        cropFraction, source);
  }

  /** Where the model lives: its Hadoop location, or its local directory. */
  public String home() {
    return source != null ? source : location;
  }

  /**
   * This model with a {@code location} on this machine: itself for a local model or one copied here already,
   * otherwise a copy of {@code source} made now (once per machine and model version).
   */
  public ModelInput onThisMachine(Configuration conf) {
    if (source == null || Files.isRegularFile(Path.of(location, "saved_model.pb"))) {
      return this;
    }
    return with(ModelCache.local(source, conf).toString(), cropFraction, source);
  }

  /**
   * The model {@code given} names (a directory, local or {@code s3a://}/{@code hdfs://}, or a training run under
   * {@code modelsDir}), read as {@link #read} does; a remote model is copied to this machine first. Errors name
   * {@code settingKey}.
   */
  public static ModelInput open(String given, String modelsDir, String settingKey, int fallbackSize,
      int fallbackChannels, Configuration conf) {
    boolean remote = Versions.remote(given) || (!given.contains("/") && Versions.remote(modelsDir));
    if (!remote) {
      return read(resolve(given, modelsDir, settingKey), fallbackSize, fallbackChannels);
    }
    String home = location(given, modelsDir);
    Path copy;
    try {
      copy = ModelCache.local(home, conf);
    } catch (IllegalArgumentException e) {
      throw Errors.setting(settingKey, "'" + given + "': " + home + " does not exist. Pass an exported SavedModel "
          + "directory or a run name with an export under the models directory");
    }
    ModelInput local = read(requireSavedModel(copy, home, settingKey), fallbackSize, fallbackChannels);
    return local.with(local.location, local.cropFraction, home);
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
