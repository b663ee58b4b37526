package io.cvpipe.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.cvpipe.common.image.SyntheticImages;
import io.cvpipe.engine.Device;
import io.cvpipe.engine.Engine;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.ModelSpec;
import io.cvpipe.engine.OptimizerSpec;
import io.cvpipe.train.sampler.BatchPlan;
import io.cvpipe.train.sampler.Sampler;
import io.cvpipe.train.sampler.SamplerKind;
import io.cvpipe.train.sampler.SamplerSpec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Plumbing, not an accuracy claim: a tiny ResNet trained on generated coloured shapes (4 classes, real JPEG
 * bytes decoded) with the CVNets sampler must end clearly above chance on held-out images.
 */
class TestTinyModelLearns {

  private static final int SIZE = 32;
  private static final int CLASSES = 4;

  @Test
  void tinyResNetLearnsShapesWellAboveChance() throws IOException {
    int n = 320;
    float[][] train = new float[n][];
    int[] labels = new int[n];
    Random rnd = new Random(1);
    for (int i = 0; i < n; i++) {
      labels[i] = i % CLASSES;
      train[i] = decode(SyntheticImages.jpeg(SyntheticImages.shape(labels[i], SIZE, SIZE, rnd), 0.9f));
    }
    int m = 120;
    float[][] held = new float[m][];
    int[] heldLabels = new int[m];
    for (int i = 0; i < m; i++) {
      heldLabels[i] = i % CLASSES;
      held[i] = decode(SyntheticImages.jpeg(SyntheticImages.shape(heldLabels[i], SIZE, SIZE, rnd), 0.9f));
    }
    Sampler sampler = new Sampler(new SamplerSpec(SamplerKind.SSC_FBS, SIZE, SIZE, 32, SIZE, SIZE, 1, 8), 0);
    ModelSpec model = new ModelSpec("resnet18", 0.125, CLASSES, 3, 1, false, 7);

    try (Engine engine = Engines.tensorflow(model, OptimizerSpec.sgd(5e-4), Device.CPU)) {
      float first = Float.NaN;
      float last = Float.NaN;
      for (int epoch = 0; epoch < 8; epoch++) {
        for (BatchPlan plan : sampler.epoch(n, epoch, 0, 1)) {
          float[][] images = new float[plan.size()][];
          int[] y = new int[plan.size()];
          for (int k = 0; k < plan.size(); k++) {
            images[k] = train[plan.indices()[k]];
            y[k] = labels[plan.indices()[k]];
          }
          last = engine.trainStep(batch(images), oneHot(y), 0.05f);
          first = Float.isNaN(first) ? last : first;
        }
      }
      float[] logits = engine.predict(batch(held));
      int correct = 0;
      for (int i = 0; i < m; i++) {
        int best = 0;
        for (int c = 1; c < CLASSES; c++) {
          best = logits[i * CLASSES + c] > logits[i * CLASSES + best] ? c : best;
        }
        correct += best == heldLabels[i] ? 1 : 0;
      }
      double accuracy = correct / (double) m;
      System.out.printf("tiny resnet18 x0.125: loss %.3f -> %.3f, held-out top-1 %.3f%n", first, last, accuracy);

      assertThat(last).isLessThan(first);
      assertThat(accuracy).as("held-out top-1 (chance 0.25)").isGreaterThan(0.6);
    }
  }

  private static float[] decode(byte[] jpeg) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
    float[] px = new float[SIZE * SIZE * 3];
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        int rgb = image.getRGB(x, y);
        int at = (y * SIZE + x) * 3;
        px[at] = (((rgb >> 16) & 0xFF) - 127.5f) / 64f;
        px[at + 1] = (((rgb >> 8) & 0xFF) - 127.5f) / 64f;
        px[at + 2] = ((rgb & 0xFF) - 127.5f) / 64f;
      }
    }
    return px;
  }

  private static ImageBatch batch(float[][] images) {
    float[] all = new float[images.length * SIZE * SIZE * 3];
    for (int i = 0; i < images.length; i++) {
      System.arraycopy(images[i], 0, all, i * SIZE * SIZE * 3, SIZE * SIZE * 3);
    }
    return new ImageBatch(all, images.length, SIZE, SIZE, 3);
  }

  private static float[] oneHot(int[] y) {
    float[] t = new float[y.length * CLASSES];
    for (int i = 0; i < y.length; i++) {
      t[i * CLASSES + y[i]] = 1f;
    }
    return t;
  }
}
