import io.cvpipe.common.settings.Settings;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.StepProfile;
import io.cvpipe.train.TrainSettings;
import io.cvpipe.train.recipe.Targets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The Java half of ci/bench-engine and ci/profile-step (benchmarks, not tests): for each model of issue 27's
 * table, the engine on one synthetic batch (warm-up steps, then timed ones).
 * <ul>
 *   <li>{@code train}: training steps (SGD with momentum, cross-entropy); prints {@code name train img/s flops
 *       parameters}, flops being one image's forward pass (a multiply-add is two);</li>
 *   <li>{@code infer}: the inference graph's logits, the same line with {@code infer};</li>
 *   <li>{@code profile}: the training rate and one traced step (TensorFlow's step stats, RunOptions FULL_TRACE)
 *       summed per op type: which ops take the time; {@code profile-infer} the same for inference.</li>
 * </ul>
 *
 * Usage: java -cp CLASSPATH ci/EngineBench.java train|infer|profile|profile-infer [MODEL_NAME ...] [KEY=VALUE ...]
 * (default: all models; each KEY=VALUE is one more setting for every model, e.g. train.precision=bfloat16 or
 * train.output-stride=8)
 */
public class EngineBench {

  record Case(String name, int size, int channels, int batch, List<String> sets) {
    int steps() {
      return size > 100 ? 5 : 20;
    }
  }

  static final List<Case> CASES = List.of(
      new Case("cnn2", 28, 1, 128, List.of("train.model=cnn2")),
      new Case("mobilenetv2-s1", 28, 1, 128, List.of("train.model=mobilenetv2", "train.stem-stride=1")),
      new Case("resnet18-s1", 28, 1, 128, List.of("train.model=resnet18", "train.stem-stride=1", "train.stem-pool=false")),
      new Case("resnet18-s2", 28, 1, 128, List.of("train.model=resnet18", "train.stem-stride=2", "train.stem-pool=false")),
      new Case("resnet50-224", 224, 3, 32, List.of("train.model=resnet50")));

  public static void main(String[] args) {
    String mode = args.length == 0 ? "" : args[0];
    if (!List.of("train", "infer", "profile", "profile-infer").contains(mode)) {
      System.err.println("usage: EngineBench train|infer|profile|profile-infer [MODEL_NAME ...] [KEY=VALUE ...]");
      System.exit(2);
    }
    List<String> rest = List.of(args).subList(1, args.length);
    List<String> only = rest.stream().filter(a -> !a.contains("=")).toList();
    List<String> extra = rest.stream().filter(a -> a.contains("=")).toList();
    for (Case c : CASES) {
      if (only.isEmpty() || only.contains(c.name())) {
        run(mode, c, extra);
      }
    }
    System.exit(0);
  }

  static void run(String mode, Case c, List<String> extra) {
    List<String> sets = new ArrayList<>(List.of("dataset=bench", "train.run=bench", "train.channels=" + c.channels(),
        "train.sampler.crop-size=" + c.size(), "train.sampler.batch-size=" + c.batch(), "train.device=cpu",
        "train.optimizer.kind=sgd", "train.ema-momentum=0"));
    sets.addAll(c.sets());
    sets.addAll(extra);
    TrainSettings settings = TrainSettings.from(Settings.load(null, sets));
    Random random = new Random(1);
    float[] px = new float[c.batch() * c.size() * c.size() * c.channels()];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) random.nextGaussian();
    }
    ImageBatch batch = new ImageBatch(px, c.batch(), c.size(), c.size(), c.channels());
    int[] labels = new int[c.batch()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10;
    }
    float[] targets = Targets.smoothed(labels, 10, 0);
    long flops = Engines.forwardFlops(settings.modelSpec(10), c.size(), c.size());
    try (Engine engine = Engines.tensorflow(settings.modelSpec(10), settings.optimizer(), Device.CPU, settings.precision())) {
      Runnable step = mode.endsWith("infer") ? () -> engine.predict(batch) : () -> engine.trainStep(batch, targets, 0.01f);
      for (int i = 0; i < 3; i++) {
        step.run();
      }
      long start = System.nanoTime();
      for (int i = 0; i < c.steps(); i++) {
        step.run();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double rate = c.steps() * c.batch() / seconds;
      if (!mode.startsWith("profile")) {
        System.out.printf(Locale.ROOT, "%s %s %.2f %d %d%n", c.name(), mode, rate, flops, engine.parameterCount());
        return;
      }
      StepProfile traced = mode.endsWith("infer") ? engine.profiledPredict(batch)
          : engine.profiledTrainStep(batch, targets, 0.01f);
      System.out.printf(Locale.ROOT, "%n%s: %,d parameters, %dx%dx%d, batch %d: %.1f img/s (%.1f ms/step); traced "
          + "step %.1f ms, ops %.1f ms in all%n", c.name() + (mode.endsWith("infer") ? " inference" : ""), engine.parameterCount(), c.size(), c.size(), c.channels(),
          c.batch(), rate, seconds * 1000 / c.steps(), traced.stepMillis(), traced.opMillis());
      System.out.printf(Locale.ROOT, "  %-34s %6s %10s %7s%n", "op type", "count", "ms", "share");
      for (StepProfile.OpTime op : traced.ops().subList(0, Math.min(14, traced.ops().size()))) {
        System.out.printf(Locale.ROOT, "  %-34s %6d %10.1f %6.1f%%%n", op.type(), op.count(), op.millis(),
            100 * op.millis() / traced.opMillis());
      }
    }
  }
}
