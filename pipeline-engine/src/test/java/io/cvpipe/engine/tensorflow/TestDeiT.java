package io.cvpipe.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** DeiT-tiny against timm's parameter count, Token Pooling's clustering against a plain-loop K-medoids, and both end to end. */
class TestDeiT {

  private static final OptimizerSpec PLAIN = new OptimizerSpec(0, false, 0, 0.1);

  private static ModelSpec deit(double width, int classes, int channels, int patch, int depth, List<Integer> after,
      double keep) {
    return new ModelSpec("deit-tiny", width, classes, channels, 1, false, 0,
        new ModelSpec.Transformer(patch, depth, new ModelSpec.TokenPooling(after, keep)), 3);
  }

  @Test
  void deitTinyHasTimmsParameterCount() {
    // timm's deit_tiny_patch16_224 at 1,000 classes: patch embedding, class token, 197 positions, 12 blocks, head
    try (TensorFlowEngine engine = TensorFlowEngine.create(ModelSpec.imagenet("deit-tiny", 1.0, 1000), PLAIN,
        Device.CPU)) {
      assertThat(engine.parameterCount()).isEqualTo(5_717_416);
    }
  }

  @Test
  void tokenPoolingCutsTheFlopsAndAddsNoParameters() {
    ModelSpec plain = ModelSpec.imagenet("deit-tiny", 1.0, 1000);
    ModelSpec pooled = new ModelSpec("deit-tiny", 1.0, 1000, 3, 2, true, 0,
        new ModelSpec.Transformer(0, 0, new ModelSpec.TokenPooling(List.of(3, 6, 9), 0.6)), 0);
    long full = FlopCount.forward(plain, 224, 224);
    long less = FlopCount.forward(pooled, 224, 224);
    // 196 tokens for 3 blocks, 118 for 3, 71 for 3, 43 for 3: attention, FFN and projections shrink with the tokens
    assertThat(less).isLessThan(full * 6 / 10);
    System.out.printf("deit-tiny forward GFLOPs at 224: %.3f; with Token Pooling (keep 0.6 after 3, 6, 9): %.3f%n",
        full / 1e9, less / 1e9);
    assertThat((double) full).isCloseTo(2.5e9, within(0.1e9)); // DeiT's 1.3 G multiply-adds, counted twice
  }

  @Test
  void takesSidesThatAreNotMultiplesOfThePatchPoolsAndExportsWhatItComputes(@TempDir Path dir) {
    ModelSpec spec = deit(0.25, 5, 1, 4, 4, List.of(2), 0.5);
    try (Engine engine = Engines.tensorflow(spec, PLAIN, Device.CPU)) {
      // 28: 7x7 patches; 30: resized to 32, 8x8; 24: 6x6 (MSc-VBS's scales)
      for (int size : new int[] {28, 30, 24}) {
        float[] logits = engine.predict(GradientCheck.images(2, size, 1, size));
        assertThat(logits).as("%dx%d", size, size).hasSize(10);
        for (float v : logits) {
          assertThat(Float.isFinite(v)).isTrue();
        }
      }
      ImageBatch batch = GradientCheck.images(3, 28, 1, 1);
      GradientCheck.exportPredictsAsTheEngine(engine, batch, dir.resolve("model"));
    }
  }

  @Test
  void dropoutAndStochasticDepthActInTrainingOnly() {
    ImageBatch batch = GradientCheck.images(8, 16, 1, 5);
    float[] target = new float[8 * 3];
    for (int i = 0; i < 8; i++) {
      target[i * 3 + i % 3] = 1;
    }
    for (double rate : new double[] {0, 0.5}) {
      ModelSpec spec = new ModelSpec("deit-tiny", 0.125, 3, 1, 1, false, 0,
          new ModelSpec.Transformer(4, 3, rate, rate, ModelSpec.TokenPooling.NONE), 3);
      try (TensorFlowEngine engine = TensorFlowEngine.create(spec, PLAIN, Device.CPU)) {
        assertThat(engine.predict(batch)).as("inference, rate %s", rate).containsExactly(engine.predict(batch));
        double first = engine.loss(batch, target);
        double second = engine.loss(batch, target);
        if (rate == 0) {
          assertThat(second).as("training loss without dropout").isEqualTo(first);
        } else {
          assertThat(second).as("training loss with new masks").isNotEqualTo(first);
        }
      }
    }
  }

  @Test
  void poolingKeepsTheWeightedKMedoidsOfTheTokens() {
    int n = 9, d = 2, k = 3;
    Random random = new Random(21);
    float[][][] tokens = new float[2][n][d];
    float[][][][] attention = new float[2][2][1 + n][1 + n];
    for (int b = 0; b < 2; b++) {
      for (int i = 0; i < n; i++) {
        // three loose groups of three, around (0, 0), (5, 0) and (0, 5), jittered
        tokens[b][i][0] = (float) ((i % 3 == 1 ? 5 : 0) + random.nextGaussian());
        tokens[b][i][1] = (float) ((i % 3 == 2 ? 5 : 0) + random.nextGaussian());
      }
      for (float[][] head : attention[b]) {
        for (float[] row : head) {
          for (int j = 0; j < row.length; j++) {
            row[j] = random.nextFloat();
          }
        }
      }
    }
    float[] got;
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, d)));
      Placeholder<TFloat32> a = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, -1, -1)));
      // N unknown when the graph is built (as in training): K = round(keep N) is computed on the graph
      Operand<TFloat32> pooled = TokenPooling.pool(tf, x, a, k / (double) n);
      try (Session session = new Session(graph); TFloat32 in = TFloat32.tensorOf(StdArrays.ndCopyOf(tokens));
          TFloat32 att = TFloat32.tensorOf(StdArrays.ndCopyOf(attention));
          Result out = session.runner().feed(x, in).feed(a, att).fetch(pooled).run()) {
        assertThat(out.get(0).shape().asArray()).containsExactly(2, k, d);
        got = new float[2 * k * d];
        ((TFloat32) out.get(0)).copyTo(DataBuffers.of(got, false, false));
      }
    }
    for (int b = 0; b < 2; b++) {
      Set<Integer> expected = new TreeSet<>(kMedoids(tokens[b], significance(attention[b]), k));
      Set<Integer> kept = new TreeSet<>();
      for (int m = 0; m < k; m++) {
        kept.add(indexOf(tokens[b], got[(b * k + m) * d], got[(b * k + m) * d + 1]));
      }
      assertThat(kept).as("image %d: the medoids kept", b).isEqualTo(expected);
      Set<Integer> groups = new TreeSet<>();
      kept.forEach(i -> groups.add(i % 3));
      assertThat(groups).as("one token from each group").containsExactly(0, 1, 2);
    }
  }

  /** Attention received by each patch token, summed over heads and queries, without the class token. */
  private static double[] significance(float[][][] attention) {
    int n = attention[0].length - 1;
    double[] w = new double[n];
    for (float[][] head : attention) {
      for (float[] row : head) {
        for (int j = 0; j < n; j++) {
          w[j] += row[j + 1];
        }
      }
    }
    return w;
  }

  /** Weighted K-medoids as the class documents it, in loops: top-K init, 5 rounds of assignment and update. */
  private static List<Integer> kMedoids(float[][] x, double[] w, int k) {
    int n = x.length;
    double[][] dist = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        for (int c = 0; c < x[i].length; c++) {
          dist[i][j] += (x[i][c] - x[j][c]) * (x[i][c] - x[j][c]);
        }
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort((p, q) -> Double.compare(w[q], w[p]));
    int[] medoids = order.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
    for (int round = 0; round < TokenPooling.ITERATIONS; round++) {
      int[] cluster = new int[n];
      for (int i = 0; i < n; i++) {
        for (int m = 1; m < k; m++) {
          cluster[i] = dist[i][medoids[m]] < dist[i][medoids[cluster[i]]] ? m : cluster[i];
        }
      }
      for (int m = 0; m < k; m++) {
        double least = Double.MAX_VALUE;
        for (int c = 0; c < n; c++) {
          if (cluster[c] != m) {
            continue;
          }
          double cost = 0;
          for (int j = 0; j < n; j++) {
            cost += cluster[j] == m ? w[j] * dist[c][j] : 0;
          }
          if (cost < least) {
            least = cost;
            medoids[m] = c;
          }
        }
      }
    }
    List<Integer> result = new ArrayList<>();
    for (int m : medoids) {
      result.add(m);
    }
    return result;
  }

  private static int indexOf(float[][] tokens, float a, float b) {
    for (int i = 0; i < tokens.length; i++) {
      if (Math.abs(tokens[i][0] - a) < 1e-5 && Math.abs(tokens[i][1] - b) < 1e-5) {
        return i;
      }
    }
    throw new AssertionError("pooled token (" + a + ", " + b + ") is none of the input tokens");
  }

  @Test
  void aTinyOneWithTokenPoolingLearnsWhereTheBrightHalfIsAboveChance() {
    ModelSpec spec = deit(0.25, 3, 1, 4, 4, List.of(2), 0.5);
    Random rnd = new Random(4);
    // AdamW, as DeiT and CVNets train transformers (SGD at CNN rates barely moves one in 80 steps)
    try (Engine engine = Engines.tensorflow(spec, OptimizerSpec.adamw(0.05), Device.CPU)) {
      for (int step = 0; step < 80; step++) {
        int[] labels = new int[16];
        ImageBatch batch = GradientCheck.brightHalves(labels, rnd);
        engine.trainStep(batch, GradientCheck.oneHot(labels), 1e-3f);
      }
      int[] labels = new int[60];
      float[] logits = engine.predict(GradientCheck.brightHalves(labels, new Random(99)));
      int right = 0;
      for (int i = 0; i < labels.length; i++) {
        int best = 0;
        for (int c = 1; c < 3; c++) {
          best = logits[i * 3 + c] > logits[i * 3 + best] ? c : best;
        }
        right += best == labels[i] ? 1 : 0;
      }
      assertThat(right / 60.0).as("top-1 on new images (chance 0.33)").isGreaterThan(0.6);
    }
  }
}
