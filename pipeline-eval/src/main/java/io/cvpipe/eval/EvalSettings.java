package io.cvpipe.eval;

import io.cvpipe.common.Errors;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** The {@code eval.*} settings, checked before Spark starts. */
public record EvalSettings(String dataset, String model, List<String> ensemble, String modelsDir, String split,
    String run, int batchSize, int inputSize, int inputChannels, Double cropFraction, String reportsDir,
    int misclassified, List<String> compare, boolean shifts, String baseline) implements Serializable {

  public static EvalSettings from(Settings s) {
    List<String> compare = Arrays.stream(s.stringOr("eval.compare", "").split(",")).map(String::trim)
        .filter(v -> !v.isEmpty()).toList();
    if (!compare.isEmpty() && compare.size() != 2) {
      throw Errors.setting("eval.compare", "expected two evaluation runs, e.g. --set eval.compare=RUN_A,RUN_B; got "
          + compare.size() + ": " + compare);
    }
    String run = s.stringOr("eval.run", "");
    if (!run.isEmpty() && !run.matches("[A-Za-z0-9_.-]+")) {
      throw Errors.setting("eval.run", "'" + run + "' is not a valid run name: letters, digits, '_', '.', '-'");
    }
    String baseline = s.stringOr("eval.baseline", "");
    if (!baseline.isEmpty() && !baseline.matches("[A-Za-z0-9_.-]+")) {
      throw Errors.setting("eval.baseline", "'" + baseline + "' is not a valid run name: letters, digits, '_', '.', '-'");
    }
    int channels = s.intIn("eval.input-channels", 1, 3);
    if (channels == 2) {
      throw Errors.setting("eval.input-channels", "2 is not supported. Allowed: 1 (grey) or 3 (RGB)");
    }
    // a HOCON list of two or more models is an ensemble, scored by its mean softmax (as reinforce's teachers)
    boolean list = s.config().hasPath("eval.model")
        && s.config().getValue("eval.model").valueType() == com.typesafe.config.ConfigValueType.LIST;
    List<String> models = list ? s.strings("eval.model") : List.of();
    if (list && models.isEmpty()) {
      throw Errors.setting("eval.model", "an empty list: give a model directory or run name, or a list of two or more");
    }
    List<String> ensemble = models.size() > 1 ? models : List.of();
    if (!ensemble.isEmpty() && run.isEmpty()) {
      throw Errors.setting("eval.run", "an ensemble (eval.model = " + ensemble + ") needs a name: --set eval.run=NAME");
    }
    return new EvalSettings(
        // a comparison reads cvpipe.runs.eval_metrics only: it needs no dataset
        compare.isEmpty() ? Tables.checkDataset(s.string("dataset", "imagenet")) : s.stringOr("dataset", ""),
        list ? models.get(0) : compare.isEmpty() ? s.string("eval.model", "models/RUN/best") : s.stringOr("eval.model", ""),
        ensemble,
        s.stringOr("eval.models-dir", "models"),
        s.string("eval.split", "val"),
        run,
        s.intIn("eval.batch-size", 1, 100_000),
        s.intIn("eval.input-size", 8, 4096),
        channels,
        s.has("eval.crop-fraction") ? s.fraction("eval.crop-fraction") : null,
        s.stringOr("eval.reports-dir", "reports"),
        s.intIn("eval.misclassified", 0, 10_000),
        compare,
        s.bool("eval.shifts"),
        baseline);
  }

  /**
   * {@code eval.model} (a directory, local or on a Hadoop file system, or a run name under
   * {@code eval.models-dir}: its best export) and what it expects (its model.json, else eval.input-size and
   * eval.input-channels), seen through eval.crop-fraction when it is set.
   */
  ModelInput modelInput(Configuration conf) {
    return modelInput(model, conf);
  }

  /** Every model evaluated: eval.model, or each model of its ensemble. */
  List<ModelInput> modelInputs(Configuration conf) {
    return (ensemble.isEmpty() ? List.of(model) : ensemble).stream().map(m -> modelInput(m, conf)).toList();
  }

  private ModelInput modelInput(String given, Configuration conf) {
    ModelInput input = ModelInput.open(given, modelsDir, "eval.model", inputSize, inputChannels, conf);
    return cropFraction == null ? input : input.withCropFraction(cropFraction);
  }

  /** Where the comparison of eval.compare's two runs is written: {@code <reports-dir>/<a>-vs-<b>}. */
  Path comparisonDirectory() {
    return Path.of(reportsDir, compare.get(0) + "-vs-" + compare.get(1));
  }
}
