package io.cvpipe.eval;

import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.metrics.Softmax;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.Predictor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One Spark task of an evaluation: the validation view of each image (resize to size / crop fraction, centre crop,
 * normalise as the model expects), batched inference with the executor's copy of the model, and the
 * partition's {@link PartialResult} for each split it scores. Rows are {@code (sample_id, class_index, image, split)};
 * one pass can score many splits (the corrupted copies of a split), each image counted in its own split's result.
 * An ensemble scores each image with every model (each with its own view) and is judged by the mean of their
 * softmax outputs.
 */
final class EvalPartition implements FlatMapFunction<Iterator<Row>, PartialResult[]> {

  private static final Logger LOG = LogManager.getLogger(EvalPartition.class);

  private static final int THUMBNAIL = 128;

  private final List<ModelInput> models;
  private final SerializableConfiguration conf;
  private final int classes;
  private final int batchSize;
  private final int keepMisclassified;
  private final List<String> splits;
  private final LongAccumulator done;

  /** Scores the rows of {@code splits}, results in that order, keeping up to {@code keepMisclassified} of each. */
  EvalPartition(List<ModelInput> models, SerializableConfiguration conf, int classes, int batchSize,
      int keepMisclassified, List<String> splits, LongAccumulator done) {
    this.models = List.copyOf(models);
    this.splits = List.copyOf(splits);
    this.conf = conf;
    this.classes = classes;
    this.batchSize = batchSize;
    this.keepMisclassified = keepMisclassified;
    this.done = done;
  }

  @Override
  public Iterator<PartialResult[]> call(Iterator<Row> rows) {
    int m = models.size();
    Predictor[] predictors = new Predictor[m];
    int[] per = new int[m];
    float[][] pixels = new float[m][];
    for (int i = 0; i < m; i++) {
      ModelInput model = models.get(i);
      predictors[i] = Engines.shared(model.onThisMachine(conf.value()).directory());
      per[i] = model.height() * model.width() * model.channels();
      pixels[i] = new float[batchSize * per[i]];
    }
    PartialResult[] results = new PartialResult[splits.size()];
    Map<String, Integer> index = new HashMap<>();
    for (int s = 0; s < results.length; s++) {
      results[s] = new PartialResult(classes, keepMisclassified);
      index.put(splits.get(s), s);
    }
    long[] ids = new long[batchSize];
    int[] splitOf = new int[batchSize];
    int[] labels = new int[batchSize];
    byte[][] images = new byte[batchSize][];
    int n = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      long id = row.getLong(0);
      if (row.isNullAt(1)) {
        throw Errors.setting("eval.split", "sample_id " + id + " has no class_index: the split is not labelled "
            + "(e.g. ImageNet's test images). Evaluate a labelled split");
      }
      byte[] bytes = (byte[]) row.get(2);
      Integer split = index.get(row.getString(3));
      if (split == null) {
        throw new IllegalStateException("eval: sample_id " + id + " is in split '" + row.getString(3)
            + "', not one of the splits scored " + splits);
      }
      try {
        BufferedImage image = Pixels.decode(bytes);
        if (image == null) {
          throw new IOException("no decoder for these bytes");
        }
        for (int i = 0; i < m; i++) {
          ModelInput model = models.get(i);
          CropBox box = RandomResizedCrop.centre(image.getHeight(), image.getWidth(),
              Math.min(model.height(), model.width()), model.cropFraction());
          Pixels.render(image, box, model.height(), model.width(), model.channels(), model.mean(), model.std(),
              pixels[i], n * per[i]);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("eval: skipping sample_id " + id + ": cannot decode it (" + e.getMessage() + ")");
        results[split].undecodable(id);
        done.add(1);
        continue;
      }
      ids[n] = id;
      splitOf[n] = split;
      labels[n] = row.getInt(1);
      images[n] = bytes;
      n++;
      if (n == batchSize) {
        score(predictors, pixels, ids, splitOf, labels, images, n, results);
        n = 0;
      }
    }
    if (n > 0) {
      score(predictors, pixels, ids, splitOf, labels, images, n, results);
    }
    return List.<PartialResult[]>of(results).iterator();
  }

  private void score(Predictor[] predictors, float[][] pixels, long[] ids, int[] splitOf, int[] labels,
      byte[][] images, int n, PartialResult[] results) {
    float[] logits = predictors.length == 1 ? logits(predictors, pixels, 0, n) : meanSoftmax(predictors, pixels, n);
    for (int i = 0; i < n; i++) {
      PartialResult result = results[splitOf[i]];
      int predicted = result.metrics.add(logits, i * classes, labels[i]);
      if (predicted != labels[i] && result.wants(ids[i])) {
        result.offer(misclassified(logits, i, ids[i], labels[i], images[i]));
      }
    }
    done.add(n);
  }

  /** Model {@code m}'s logits of the first {@code n} images of its batch, checked for one per class. */
  private float[] logits(Predictor[] predictors, float[][] pixels, int m, int n) {
    ModelInput model = models.get(m);
    int per = model.height() * model.width() * model.channels();
    float[] batch = n * per == pixels[m].length ? pixels[m] : java.util.Arrays.copyOf(pixels[m], n * per);
    float[] logits = predictors[m].predict(new ImageBatch(batch, n, model.height(), model.width(), model.channels()));
    if (logits.length != n * classes) {
      throw new IllegalStateException("the model " + model.home() + " returned " + logits.length / Math.max(1, n)
          + " logits per image, expected " + classes);
    }
    return logits;
  }

  /**
   * The ensemble's log mean softmax: as logits, its softmax is the mean of the models' softmax outputs, so the
   * metrics (top-k, NLL, calibration) judge the ensemble's distribution.
   */
  private float[] meanSoftmax(Predictor[] predictors, float[][] pixels, int n) {
    double[] mean = new double[n * classes];
    for (int m = 0; m < predictors.length; m++) {
      float[] logits = logits(predictors, pixels, m, n);
      for (int i = 0; i < n; i++) {
        double logSum = Softmax.logSumExp(logits, i * classes, classes);
        for (int c = 0; c < classes; c++) {
          mean[i * classes + c] += Math.exp(logits[i * classes + c] - logSum) / predictors.length;
        }
      }
    }
    float[] out = new float[mean.length];
    for (int j = 0; j < mean.length; j++) {
      out[j] = (float) Math.log(Math.max(mean[j], Double.MIN_NORMAL));
    }
    return out;
  }

  private Misclassified misclassified(float[] logits, int i, long id, int label, byte[] bytes) {
    int offset = i * classes;
    double logSum = Softmax.logSumExp(logits, offset, classes);
    int k = Math.min(3, classes);
    int[] top = new int[k];
    float[] probs = new float[k];
    List<Integer> taken = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int c = 0; c < classes; c++) {
        if (!taken.contains(c) && (best < 0 || logits[offset + c] > logits[offset + best])) {
          best = c;
        }
      }
      taken.add(best);
      top[j] = best;
      probs[j] = (float) Math.exp(logits[offset + best] - logSum);
    }
    return new Misclassified(id, label, top, probs, thumbnail(bytes));
  }

  /** The image as PNG, its longer side at most {@value #THUMBNAIL} pixels (the page scales small ones up). */
  static byte[] thumbnail(byte[] bytes) {
    try {
      BufferedImage image = Pixels.decode(bytes);
      double scale = Math.min(1.0, THUMBNAIL / (double) Math.max(image.getWidth(), image.getHeight()));
      int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
      int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
      BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = small.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(image, 0, 0, w, h, null);
      g.dispose();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(small, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
