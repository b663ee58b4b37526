import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The Java half of ci/bench-attention (a benchmark, not a test): how a transformer's training step grows with its
 * tokens. For MobileViT-XXS (multi-head attention, N x N scores), MobileViTv2 x0.5 (separable attention, linear in
 * N; about the same parameters and FLOPs) and DeiT-tiny with and without Token Pooling, one synthetic RGB batch at
 * several input sizes: milliseconds per training step (AdamW; warm-up steps, then the median of timed ones), the
 * forward FLOPs the engine counts, and both as multiples of the smallest size's, beside the pixels' multiple. A
 * step that grows like the pixels is linear in the tokens; faster growth is attention's N^2.
 *
 * Usage: java -cp CLASSPATH ci/AttentionBench.java [SIZE ...]   (default 128 192 256 320; batch BATCH, default 4)
 *
 * With {@code study} instead of sizes: the milliseconds per training step of the five models of
 * ci/study-fashion-mnist-transformers.plan as it trains them (28x28x1, batch 128, 10 classes), one line each, for
 * ci/bench-attention kernels to compare TensorFlow's kernels (the variable TF_ENABLE_ONEDNN_OPTS is read once per
 * process).
 */
public class AttentionBench {

  record Model(String name, ModelSpec spec) {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("study")) {
      study();
      return;
    }
    int[] sizes = args.length == 0 ? new int[] {128, 192, 256, 320}
        : List.of(args).stream().mapToInt(Integer::parseInt).toArray();
    int batch = Integer.parseInt(System.getenv().getOrDefault("BATCH", "4"));
    List<Model> models = List.of(
        new Model("mobilevit-xxs", ModelSpec.imagenet("mobilevit-xxs", 1.0, 1000)),
        new Model("mobilevitv2-x0.5", ModelSpec.imagenet("mobilevitv2", 0.5, 1000)),
        new Model("deit-tiny", ModelSpec.imagenet("deit-tiny", 1.0, 1000)),
        new Model("deit-tiny-tp0.6", new ModelSpec("deit-tiny", 1.0, 1000, 3, 2, true, 0,
            new ModelSpec.Transformer(0, 0, new ModelSpec.TokenPooling(List.of(3, 6, 9), 0.6)), 0)));
    System.out.printf(Locale.ROOT, "bench-attention: batch %d, sizes %s, %d cores%n", batch,
        java.util.Arrays.toString(sizes), Runtime.getRuntime().availableProcessors());
    System.out.println("| model | parameters | input | ms per step | step × | GFLOPs fwd | FLOPs × | pixels × |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Model m : models) {
      double firstMs = 0, firstFlops = 0;
      try (Engine engine = Engines.tensorflow(m.spec(), OptimizerSpec.adamw(0.05), Device.CPU)) {
        for (int size : sizes) {
          double ms = stepMillis(engine, size, batch);
          double flops = Engines.forwardFlops(m.spec(), size, size);
          if (size == sizes[0]) {
            firstMs = ms;
            firstFlops = flops;
          }
          double pixels = (double) size * size / ((double) sizes[0] * sizes[0]);
          System.out.printf(Locale.ROOT, "| %s | %,d | %d | %.0f | %.2f | %.3f | %.2f | %.2f |%n", m.name(),
              engine.parameterCount(), size, ms, ms / firstMs, flops / 1e9, flops / firstFlops, pixels);
        }
      }
    }
    System.exit(0);
  }

  /** The transformer study's models as its plan sets them: stem stride 1, MobileViT at output stride 8, DeiT on 4x4 patches. */
  static void study() {
    ModelSpec.Transformer deit = new ModelSpec.Transformer(4, 0, 0, 0.1, ModelSpec.TokenPooling.NONE);
    List<Model> models = List.of(
        new Model("mobilevit-xs", new ModelSpec("mobilevit-xs", 1.0, 10, 1, 1, false, 8,
            new ModelSpec.Transformer(0, 0, 0.1, 0, ModelSpec.TokenPooling.NONE), 0)),
        new Model("mobilevitv2-x0.5", new ModelSpec("mobilevitv2", 0.5, 10, 1, 1, false, 8, ModelSpec.Transformer.DEFAULT, 0)),
        new Model("mobilevitv2-x1.0", new ModelSpec("mobilevitv2", 1.0, 10, 1, 1, false, 8, ModelSpec.Transformer.DEFAULT, 0)),
        new Model("deit-tiny-x0.5-p4", new ModelSpec("deit-tiny", 0.5, 10, 1, 1, false, 0, deit, 0)),
        new Model("deit-tiny-x0.5-p4-tp0.6", new ModelSpec("deit-tiny", 0.5, 10, 1, 1, false, 0, new ModelSpec.Transformer(
            4, 0, 0, 0.1, new ModelSpec.TokenPooling(List.of(3, 6, 9), 0.6)), 0)));
    for (Model m : models) {
      try (Engine engine = Engines.tensorflow(m.spec(), OptimizerSpec.adamw(0.05), Device.CPU)) {
        System.out.printf(Locale.ROOT, "study %s %.1f%n", m.name(), stepMillis(engine, 28, 1, 128, 10));
      }
    }
    System.exit(0);
  }

  /** Median wall time of 5 training steps after 2 warm-up steps. */
  static double stepMillis(Engine engine, int size, int batch) {
    return stepMillis(engine, size, 3, batch, 1000);
  }

  static double stepMillis(Engine engine, int size, int channels, int batch, int classes) {
    Random random = new Random(size);
    float[] pixels = new float[batch * size * size * channels];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    float[] targets = new float[batch * classes];
    for (int i = 0; i < batch; i++) {
      targets[i * classes + random.nextInt(classes)] = 1;
    }
    ImageBatch images = new ImageBatch(pixels, batch, size, size, channels);
    double[] times = new double[5];
    for (int step = -2; step < times.length; step++) {
      long start = System.nanoTime();
      engine.trainStep(images, targets, 1e-4f);
      if (step >= 0) {
        times[step] = (System.nanoTime() - start) / 1e6;
      }
    }
    java.util.Arrays.sort(times);
    return times[times.length / 2];
  }
}
