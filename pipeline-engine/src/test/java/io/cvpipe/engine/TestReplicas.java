package io.cvpipe.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Two members of a replica group in one JVM (two threads, two TensorFlow servers on loopback). */
class TestReplicas {

  private static final ModelSpec TINY = new ModelSpec("resnet18", 0.0625, 3, 3, 1, false, 42);
  private static final ExecutorService THREADS = Executors.newFixedThreadPool(2);

  @AfterAll
  static void stop() {
    THREADS.shutdownNow();
  }

  private static List<String> freeAddresses(int n) {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try (ServerSocket socket = new ServerSocket(0)) {
        addresses.add("localhost:" + socket.getLocalPort());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return addresses;
  }

  private static ImageBatch noise(int n, int size, long seed) {
    Random r = new Random(seed);
    float[] px = new float[n * size * size * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    return new ImageBatch(px, n, size, size, 3);
  }

  private static float[] oneHot(int n, long seed) {
    Random r = new Random(seed);
    float[] t = new float[n * 3];
    for (int i = 0; i < n; i++) {
      t[i * 3 + r.nextInt(3)] = 1f;
    }
    return t;
  }

  /** Runs {@code body} on both members at once, each with its own engine; returns what each returned. */
  private static <T> List<T> onBoth(List<String> addresses, int timeoutSeconds, Function<Integer, ModelSpec> model,
      EngineBody<T> body) throws Exception {
    return onBoth(addresses, timeoutSeconds, false, model, body);
  }

  private static <T> List<T> onBoth(List<String> addresses, int timeoutSeconds, boolean syncBatchNorm,
      Function<Integer, ModelSpec> model, EngineBody<T> body) throws Exception {
    List<Future<T>> futures = new ArrayList<>();
    for (int rank = 0; rank < addresses.size(); rank++) {
      int r = rank;
      futures.add(THREADS.submit(() -> {
        Execution execution = new Execution(Device.CPU, Precision.FLOAT32, 1, List.of(),
            new Replicas(r, addresses, timeoutSeconds, syncBatchNorm));
        try (Engine engine = Engines.tensorflow(model.apply(r), OptimizerSpec.sgd(1e-4), execution)) {
          return body.run(r, engine);
        }
      }));
    }
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      results.add(f.get());
    }
    return results;
  }

  private interface EngineBody<T> {
    T run(int rank, Engine engine) throws Exception;
  }

  @Test
  void replicasStartFromTheRootsWeightsAndStayBitIdenticalWhileEachTrainsOnItsOwnBatches() throws Exception {
    List<String> addresses = freeAddresses(2);
    // different seeds: different initial weights, until the broadcast
    List<String[]> digests = onBoth(addresses, 60, rank -> new ModelSpec("resnet18", 0.0625, 3, 3, 1, false, 42 + rank),
        (rank, engine) -> {
          String before = engine.weightsDigest();
          engine.broadcastState();
          String start = engine.weightsDigest();
          for (int step = 0; step < 3; step++) {
            engine.trainStep(noise(4, 12, 100 * rank + step), oneHot(4, 100 * rank + step), 0.1f);
          }
          StepProfile traced = engine.profiledTrainStep(noise(4, 12, 100 * rank + 3), oneHot(4, 100 * rank + 3), 0.1f);
          assertThat(traced.allReduceMillis()).as("the step's all-reduces").isGreaterThan(0)
              .isLessThanOrEqualTo(traced.stepMillis());
          // oneDNN renames the ops it runs (_MklNativeConv2DBackpropFilter); the forward convolution is Conv2D, or
          // Conv where the engine leaves it to Eigen's kernel (GenericConv)
          assertThat(traced.ops()).as("the step's ops by type").extracting(StepProfile.OpTime::type)
              .contains("CollectiveReduce").anyMatch(t -> t.endsWith("Conv2DBackpropFilter"))
              .anyMatch(t -> t.endsWith("Conv2D") || t.equals("Conv"));
          assertThat(traced.ops()).isSortedAccordingTo(
              java.util.Comparator.comparingDouble(StepProfile.OpTime::millis).reversed());
          return new String[] {before, start, engine.weightsDigest()};
        });

    assertThat(digests.get(0)[0]).isNotEqualTo(digests.get(1)[0]);
    assertThat(digests.get(1)[1]).isEqualTo(digests.get(0)[1]).isEqualTo(digests.get(0)[0]);
    assertThat(digests.get(1)[2]).isEqualTo(digests.get(0)[2]).isNotEqualTo(digests.get(0)[1]);
  }

  private static ImageBatch concat(ImageBatch a, ImageBatch b) {
    float[] px = java.util.Arrays.copyOf(a.pixels(), a.pixels().length + b.pixels().length);
    System.arraycopy(b.pixels(), 0, px, a.pixels().length, b.pixels().length);
    return new ImageBatch(px, a.count() + b.count(), a.height(), a.width(), a.channels());
  }

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void synchronisedBatchNormTrainsAsOneEngineOnTheGlobalBatch() throws Exception {
    ImageBatch[] halves = {noise(4, 12, 1), noise(4, 12, 2)};
    float[][] targets = {oneHot(4, 1), oneHot(4, 2)};
    ImageBatch probe = noise(3, 12, 9);
    float[] single;
    try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), Execution.local(Device.CPU, Precision.FLOAT32))) {
      float[] both = java.util.Arrays.copyOf(targets[0], 24);
      System.arraycopy(targets[1], 0, both, 12, 12);
      for (int step = 0; step < 3; step++) {
        engine.trainStep(concat(halves[0], halves[1]), both, 0.1f);
      }
      single = engine.predict(probe);
    }
    EngineBody<float[]> train = (rank, engine) -> {
      for (int step = 0; step < 3; step++) {
        engine.trainStep(halves[rank], targets[rank], 0.1f);
      }
      return engine.predict(probe);
    };
    List<float[]> synced = onBoth(freeAddresses(2), 60, true, rank -> TINY, train);
    List<float[]> perReplica = onBoth(freeAddresses(2), 60, false, rank -> TINY, train);

    double syncedError = maxDifference(synced.get(0), single);
    double perReplicaError = maxDifference(perReplica.get(0), single);
    System.out.printf("largest logit difference to one engine on the global batch: synchronised batch norm %.2e, "
        + "per-replica %.2e%n", syncedError, perReplicaError);
    assertThat(synced.get(1)).containsExactly(synced.get(0));
    assertThat(syncedError).as("logits after 3 steps, synchronised batch norm").isLessThan(1e-4);
    assertThat(perReplicaError).as("each replica's own statistics are another model").isGreaterThan(100 * syncedError);
  }

  @Test
  void sumsOverTheGroupReachEveryMember() throws Exception {
    List<String> addresses = freeAddresses(2);
    List<double[]> sums = onBoth(addresses, 60, rank -> TINY, (rank, engine) -> engine.sumOverReplicas(rank + 1, 10 * rank));

    assertThat(sums.get(0)).containsExactly(3, 10);
    assertThat(sums.get(1)).containsExactly(3, 10);
  }

  @Test
  void aPeerThatNeverComesFailsTheCollectiveAtItsTimeout() throws Exception {
    List<String> addresses = freeAddresses(2);
    Execution execution = new Execution(Device.CPU, Precision.FLOAT32, 1, List.of(), new Replicas(0, addresses, 3, false));
    long start = System.nanoTime();
    try (Engine engine = Engines.tensorflow(TINY, OptimizerSpec.sgd(1e-4), execution)) {
      assertThatThrownBy(() -> engine.sumOverReplicas(1)).hasMessageContaining("timed out waiting for other workers");
    }
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(30);
  }
}
