package io.cvpipe.train;

import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.RandomErasing;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OneDnn;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.engine.Precision;
import io.cvpipe.train.recipe.LearningRateSchedule;
import io.cvpipe.train.sampler.SamplerKind;
import io.cvpipe.train.set.SetSettings;
import io.cvpipe.train.sampler.SamplerSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Everything a training run needs, read and checked once before Spark starts. */
public record TrainSettings(
    String dataset,
    String run,
    String model,
    double width,
    int stemStride,
    boolean stemPool,
    int outputStride,
    ModelSpec.Transformer transformer,
    int channels,
    boolean reinforced,
    double reinforcedProbability,
    String split,
    String valSplit,
    int epochs,
    SamplerSpec sampler,
    OptimizerSpec optimizer,
    LearningRateSchedule schedule,
    double labelSmoothing,
    double cropMinScale,
    double erasingProbability,
    double valCropFraction,
    Device device,
    Precision precision,
    long seed,
    String modelsDir,
    int loaderThreads,
    int prefetch,
    int logEvery,
    long maxTaskBytes,
    long decodedCacheBytes,
    boolean resume,
    int keepBest,
    int tasks,
    boolean syncBatchNorm,
    int maxAttempts,
    int collectiveTimeoutSeconds,
    int threads,
    OneDnnChoice oneDnn,
    long workerHeapBytes,
    SetSettings set,
    int crashRank,
    long crashStep,
    boolean crashAsUserError) implements Serializable {

  public static TrainSettings from(Settings s) {
    String model = s.choice("train.model", Model.class, Model::code).code();
    int epochs = s.intIn("train.epochs", 1, 100_000);
    int crop = s.intIn("train.sampler.crop-size", 8, 4096);
    int minCrop = s.intIn("train.sampler.min-crop-size", 8, 4096);
    int maxCrop = s.intIn("train.sampler.max-crop-size", 8, 4096);
    if (minCrop > maxCrop) {
      throw Errors.setting("train.sampler.min-crop-size", minCrop + " is above train.sampler.max-crop-size = " + maxCrop);
    }
    double lrMax = positive(s, "train.lr.max");
    double lrMin = nonNegative(s, "train.lr.min");
    if (lrMin > lrMax) {
      throw Errors.setting("train.lr.min", lrMin + " is above train.lr.max = " + lrMax);
    }
    double smoothing = nonNegative(s, "train.label-smoothing");
    if (smoothing >= 1) {
      throw Errors.setting("train.label-smoothing", smoothing + " must be below 1 (0.1 is CVNets' value)");
    }
    String run = s.string("train.run", "resnet18-baseline");
    if (!run.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
      throw Errors.setting("train.run", "'" + run + "' is not a valid run name: letters, digits, '_', '.', '-'");
    }
    TrainSettings settings = new TrainSettings(
        Tables.checkDataset(s.string("dataset", "imagenet")),
        run,
        model,
        positive(s, "train.width"),
        s.intIn("train.stem-stride", 1, 4),
        s.bool("train.stem-pool"),
        s.intIn("train.output-stride", 0, 64),
        transformer(s, model),
        channels(s),
        s.choice("train.data", Data.class, Data::code) == Data.REINFORCED,
        probability(s, "train.reinforced.probability"),
        s.string("train.split", "train"),
        s.stringOr("train.val-split", ""),
        epochs,
        new SamplerSpec(s.choice("train.sampler.kind", SamplerKind.class, SamplerKind::code), crop, crop,
            s.intIn("train.sampler.batch-size", 1, 1_000_000), minCrop, maxCrop,
            s.intIn("train.sampler.scales", 1, 64), s.intIn("train.sampler.divisor", 1, 512)),
        new OptimizerSpec(s.choice("train.optimizer.kind", OptimizerSpec.Kind.class, OptimizerSpec.Kind::code),
            nonNegative(s, "train.optimizer.momentum"), s.bool("train.optimizer.nesterov"),
            nonNegative(s, "train.optimizer.weight-decay"), positive(s, "train.optimizer.bn-momentum"),
            nonNegative(s, "train.optimizer.beta1"), nonNegative(s, "train.optimizer.beta2"),
            positive(s, "train.optimizer.epsilon"), nonNegative(s, "train.optimizer.gradient-clip"),
            emaMomentum(s)),
        new LearningRateSchedule(lrMax, lrMin, nonNegative(s, "train.lr.warmup-init"),
            s.longAtLeast("train.lr.warmup-iterations", 0), epochs),
        smoothing,
        s.fraction("train.augment.min-scale"),
        probability(s, "train.augment.random-erasing"),
        s.fraction("train.val-crop-fraction"),
        device(s),
        precision(s),
        s.longAtLeast("train.seed", Long.MIN_VALUE),
        s.string("train.models-dir", "models"),
        s.intIn("train.loader-threads", 0, 1024),
        s.intIn("train.prefetch", 1, 1024),
        s.intIn("train.log-every", 1, 1_000_000),
        s.bytes("train.max-task-bytes"),
        bytesOr(s, "train.decoded-cache", -1),
        s.bool("train.resume"),
        s.intIn("train.keep-best", 1, 1_000_000),
        s.intIn("train.tasks", 1, 4096),
        s.bool("train.sync-batch-norm"),
        s.intIn("train.max-attempts", 1, 100),
        collectiveTimeout(s),
        s.intIn("train.threads", 0, 4096),
        oneDnn(s, model),
        bytesOr(s, "train.worker-heap", 0),
        SetSettings.from(s),
        s.intIn("train.test-hook.crash-rank", -1, 4095),
        s.longAtLeast("train.test-hook.crash-step", 0),
        s.bool("train.test-hook.crash-as-user-error"));
    try {
      settings.modelSpec(2); // the architecture's own checks (output stride against the stem), before Spark starts
    } catch (IllegalArgumentException e) {
      throw Errors.usage(e.getMessage()); // a configuration error (exit 2), not a job failure
    }
    return settings;
  }

  private static int collectiveTimeout(Settings s) {
    long seconds = s.duration("train.collective-timeout").toSeconds();
    if (seconds < 1 || seconds > 86_400) {
      throw Errors.setting("train.collective-timeout", seconds + " s must be between 1 s and 1 day");
    }
    return (int) seconds;
  }

  private static Device device(Settings s) {
    return s.choice("train.device", Device.class, Device::code);
  }

  private static Precision precision(Settings s) {
    Precision precision = s.choice("train.precision", Precision.class, Precision::code);
    if (precision == Precision.BFLOAT16 && device(s) == Device.GPU) {
      throw Errors.setting("train.precision", "bfloat16 is oneDNN's CPU rewrite and does not run with train.device = gpu; "
          + "use float32 on GPUs");
    }
    return precision;
  }

  /** The training view's RandomResizedCrop: area fraction train.augment.min-scale to 1, ratio 3/4 to 4/3. */
  public RandomResizedCrop crop() {
    return new RandomResizedCrop(cropMinScale, 1.0, 3.0 / 4.0, 4.0 / 3.0);
  }

  /** The training view's RandomErasing after the crop: probability train.augment.random-erasing. */
  public RandomErasing erasing() {
    return new RandomErasing(erasingProbability);
  }

  private static double probability(Settings s, String key) {
    double v = nonNegative(s, key);
    if (v > 1) {
      throw Errors.setting(key, v + " must be at most 1");
    }
    return v;
  }

  /** {@code train.data}: what the task learns from. */
  enum Data {
    SAMPLES("samples"), REINFORCED("reinforced");

    private final String code;

    Data(String code) {
      this.code = code;
    }

    String code() {
      return code;
    }
  }

  private static double emaMomentum(Settings s) {
    double m = nonNegative(s, "train.ema-momentum");
    if (m >= 1) {
      throw Errors.setting("train.ema-momentum", m + " must be below 1 (0 turns the EMA model off; CVNets uses 0.0005)");
    }
    return m;
  }

  private static ModelSpec.Transformer transformer(Settings s, String model) {
    int patch = s.intIn("train.patch-size", 0, 1024);
    int depth = s.intIn("train.depth", 0, 1000);
    List<Integer> after = new ArrayList<>();
    for (String block : s.strings("train.token-pooling.after")) {
      try {
        after.add(Integer.parseInt(block.trim()));
      } catch (NumberFormatException e) {
        throw Errors.setting("train.token-pooling.after", "'" + block + "' is not a block number; give a list such as [3, 6, 9]");
      }
    }
    double keep = number(s, "train.token-pooling.keep");
    if (!(keep > 0 && keep <= 1)) {
      throw Errors.setting("train.token-pooling.keep", keep + " must be above 0 and at most 1 (the share of tokens kept)");
    }
    double dropout = below1(s, "train.dropout");
    double dropPath = below1(s, "train.drop-path");
    boolean deit = model.startsWith("deit");
    if (!deit && (patch != 0 || depth != 0 || !after.isEmpty() || dropPath != 0)) {
      throw Errors.setting(patch != 0 ? "train.patch-size" : depth != 0 ? "train.depth" : dropPath != 0
          ? "train.drop-path" : "train.token-pooling.after",
          "applies to vision transformers (deit-tiny), not to train.model = " + model + "; leave it unset");
    }
    if (dropout != 0 && !deit && !model.startsWith("mobilevit")) {
      throw Errors.setting("train.dropout", "applies to the transformers (mobilevit-*, mobilevitv2, deit-tiny), not "
          + "to train.model = " + model + "; leave it 0");
    }
    return new ModelSpec.Transformer(patch, depth, dropout, dropPath, new ModelSpec.TokenPooling(after, keep));
  }

  private static double below1(Settings s, String key) {
    double v = nonNegative(s, key);
    if (v >= 1) {
      throw Errors.setting(key, v + " must be below 1 (a probability of dropping)");
    }
    return v;
  }

  private static int channels(Settings s) {
    int channels = s.intIn("train.channels", 1, 3);
    if (channels == 2) {
      throw Errors.setting("train.channels", "2 is not supported. Allowed: 1 (grey) or 3 (RGB)");
    }
    return channels;
  }

  public ModelSpec modelSpec(int classes) {
    return new ModelSpec(model, width, classes, channels, stemStride, stemPool, outputStride, transformer, seed);
  }

  private static double positive(Settings s, String key) {
    double v = number(s, key);
    if (!(v > 0)) {
      throw Errors.setting(key, v + " must be above 0");
    }
    return v;
  }

  private static double nonNegative(Settings s, String key) {
    double v = number(s, key);
    if (!(v >= 0)) {
      throw Errors.setting(key, v + " must be 0 or more");
    }
    return v;
  }

  private static double number(Settings s, String key) {
    try {
      return s.config().getDouble(key);
    } catch (com.typesafe.config.ConfigException e) {
      throw Errors.setting(key, "expected a number, got '" + s.stringOr(key, "") + "'", e);
    }
  }

  /** Whether the training process runs TensorFlow's oneDNN kernels ({@code TF_ENABLE_ONEDNN_OPTS}). */
  public enum OneDnnChoice {
    /** The environment's TF_ENABLE_ONEDNN_OPTS if set; else TensorFlow's default (on, on x86). */
    AUTO("auto"), ON("on"), OFF("off");

    private final String code;

    OneDnnChoice(String code) {
      this.code = code;
    }

    String code() {
      return code;
    }
  }

  /** The value of TF_ENABLE_ONEDNN_OPTS for the training process, or null to leave its environment as it is. */
  public String oneDnnVariable(Map<String, String> environment) {
    boolean enabled = OneDnn.enabled(environment);
    return switch (oneDnn) {
      case ON -> enabled ? null : "1";
      case OFF -> enabled ? "0" : null;
      case AUTO -> null;
    };
  }

  /**
   * The decoded pixels a training task keeps between epochs, per sample store (training and validation): the
   * setting, or with {@code auto} an eighth of this JVM's heap.
   */
  public long decodedCacheBudget() {
    return decodedCacheBytes >= 0 ? decodedCacheBytes : Runtime.getRuntime().maxMemory() / 8;
  }

  /** A size in bytes, or {@code whenAuto} where the key says {@code auto} (its default). */
  private static long bytesOr(Settings s, String key, long whenAuto) {
    return "auto".equals(s.stringOr(key, "auto")) ? whenAuto : s.bytes(key);
  }

  static boolean transformer(String model) {
    return model.startsWith("mobilevit") || model.startsWith("deit");
  }

  private static OneDnnChoice oneDnn(Settings s, String model) {
    OneDnnChoice choice = s.choice("train.onednn", OneDnnChoice.class, OneDnnChoice::code);
    if (s.choice("train.precision", Precision.class, Precision::code) != Precision.BFLOAT16) {
      return choice;
    }
    Map<String, String> environment = System.getenv();
    if (choice == OneDnnChoice.OFF) {
      throw Errors.setting("train.onednn", "train.onednn=off turns oneDNN off, and bfloat16 is oneDNN's rewrite. "
          + "Train in float32, or set train.onednn=on");
    }
    if (choice == OneDnnChoice.AUTO && !OneDnn.enabled(environment)) {
      throw Errors.setting("train.onednn", "auto keeps the environment's TF_ENABLE_ONEDNN_OPTS="
          + environment.get("TF_ENABLE_ONEDNN_OPTS") + ", which turns oneDNN off, and bfloat16 is oneDNN's rewrite. "
          + "Train in float32, or set train.onednn=on");
    }
    // in float32 the engine takes no oneDNN input gradient these models need (GenericConv); bfloat16 takes them all
    if (choice == OneDnnChoice.AUTO && transformer(model) && !environment.containsKey("TF_ENABLE_ONEDNN_OPTS")) {
      throw Errors.setting("train.precision", "bfloat16 runs every convolution gradient on oneDNN's kernels, and "
          + "TensorFlow 2.18's input gradient is wrong for some of " + model + "'s shapes (README, \"MobileViT\"). "
          + "Train in float32, or set train.onednn=on to accept oneDNN's gradients");
    }
    return choice;
  }

  /** The architectures, by their train.model names. */
  enum Model {
    RESNET18("resnet18"), RESNET50("resnet50"), RESNET101("resnet101"), MOBILENETV1("mobilenetv1"),
    MOBILENETV2("mobilenetv2"), CNN2("cnn2"), MOBILEVIT_XXS("mobilevit-xxs"), MOBILEVIT_XS("mobilevit-xs"),
    MOBILEVIT_S("mobilevit-s"), MOBILEVITV2("mobilevitv2"), DEIT_TINY("deit-tiny");

    private final String code;

    Model(String code) {
      this.code = code;
    }

    String code() {
      return code;
    }
  }
}
