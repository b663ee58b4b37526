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
 * The Java half of ci/profile-step (a benchmark, not a test): for each model of issue 27's table, the engine's
 * training rate on one synthetic batch (3 warm-up steps, then 20 timed; SGD with momentum, cross-entropy) and one
 * traced step (TensorFlow's step stats, RunOptions FULL_TRACE) summed per op type: which ops take the time.
 *
 * Usage: java -cp CLASSPATH ci/StepProfileBench.java [MODEL_NAME ...]  (default: all)
 */
public class StepProfileBench {

  record Case(String name, int size, int channels, int batch, List<String> sets) {}

  static final List<Case> CASES = List.of(
      new Case("cnn2", 28, 1, 128, List.of("train.model=cnn2")),
      new Case("mobilenetv2-s1", 28, 1, 128, List.of("train.model=mobilenetv2", "train.stem-stride=1")),
      new Case("resnet18-s1", 28, 1, 128, List.of("train.model=resnet18", "train.stem-stride=1", "train.stem-pool=false")),
      new Case("resnet18-s2", 28, 1, 128, List.of("train.model=resnet18", "train.stem-stride=2", "train.stem-pool=false")),
      new Case("resnet50-224", 224, 3, 16, List.of("train.model=resnet50")));

  public static void main(String[] args) {
    List<String> only = List.of(args);
    for (Case c : CASES) {
      if (!only.isEmpty() && !only.contains(c.name())) {
        continue;
      }
      profile(c);
    }
    System.exit(0);
  }

  static void profile(Case c) {
    List<String> sets = new ArrayList<>(List.of("dataset=profile", "train.run=profile", "train.channels=" + c.channels(),
        "train.sampler.crop-size=" + c.size(), "train.sampler.batch-size=" + c.batch(), "train.device=cpu",
        "train.optimizer.kind=sgd", "train.ema-momentum=0"));
    sets.addAll(c.sets());
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
    try (Engine engine = Engines.tensorflow(settings.modelSpec(10), settings.optimizer(), Device.CPU)) {
      for (int i = 0; i < 3; i++) {
        engine.trainStep(batch, targets, 0.01f);
      }
      int steps = c.size() > 100 ? 5 : 20;
      long start = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        engine.trainStep(batch, targets, 0.01f);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      StepProfile traced = engine.profiledTrainStep(batch, targets, 0.01f);
      System.out.printf(Locale.ROOT, "%n%s: %,d parameters, %dx%dx%d, batch %d: %.1f img/s (%.1f ms/step); traced "
          + "step %.1f ms, ops %.1f ms in all%n", c.name(), engine.parameterCount(), c.size(), c.size(), c.channels(),
          c.batch(), steps * c.batch() / seconds, seconds * 1000 / steps, traced.stepMillis(), traced.opMillis());
      System.out.printf(Locale.ROOT, "  %-34s %6s %10s %7s%n", "op type", "count", "ms", "share");
      for (StepProfile.OpTime op : traced.ops().subList(0, Math.min(14, traced.ops().size()))) {
        System.out.printf(Locale.ROOT, "  %-34s %6d %10.1f %6.1f%%%n", op.type(), op.count(), op.millis(),
            100 * op.millis() / traced.opMillis());
      }
    }
  }
}
