package io.cvpipe.reinforce;

import io.cvpipe.common.augment.AugmentPolicy;
import io.cvpipe.common.augment.AugmentReplay;
import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.Pixels;
import io.cvpipe.common.model.ModelInput;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.common.reinforce.TeacherTopK;
import io.cvpipe.engine.Engines;
import io.cvpipe.engine.ImageBatch;
import io.cvpipe.engine.Predictor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * One Spark task of a reinforcement: its rows are whole partner groups ({@code sample_id, split, class_index,
 * image, partner_group, pending}, sorted by group and sample_id). For every pending sample it draws the N
 * augmentations (partners from every member of its group, pending or not), renders each as every teacher expects
 * it, runs the teachers in batches (each model loaded once per executor) and keeps the top-k of their mean
 * softmax: N rows per sample.
 */
final class ReinforcePartition implements FlatMapFunction<Iterator<Row>, Row> {

  private static final Logger LOG = LogManager.getLogger(ReinforcePartition.class);

  private static final int DECODED_PARTNERS = 64;

  private final List<Teacher> teachers;
  private final int classes;
  private final AugmentPolicy policy;
  private final long seed;
  private final int augmentations;
  private final int topK;
  private final int batchSize;
  private final String version;
  private final LongAccumulator done;
  private final LongAccumulator undecodable;
  private final SerializableConfiguration conf;

  ReinforcePartition(List<Teacher> teachers, int classes, ReinforceSettings settings, String version,
      LongAccumulator done, LongAccumulator undecodable, SerializableConfiguration conf) {
    this.conf = conf;
    this.teachers = teachers;
    this.classes = classes;
    this.policy = settings.policy();
    this.seed = settings.seed();
    this.augmentations = settings.augmentations();
    this.topK = settings.topK();
    this.batchSize = settings.batchSize();
    this.version = version;
    this.done = done;
    this.undecodable = undecodable;
  }

  /** A sample of the group, its image decoded when its turn comes; {@code pending}: it is to be reinforced. */
  private record Member(long id, String split, Integer label, byte[] image, boolean pending) {}

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    Batch batch = new Batch();
    List<Member> shard = new ArrayList<>();
    String key = null;
    while (rows.hasNext()) {
      Row r = rows.next();
      String k = r.getString(4);
      if (key != null && !key.equals(k)) {
        reinforce(shard, batch);
        shard.clear();
      }
      key = k;
      shard.add(new Member(r.getLong(0), r.getString(1), r.isNullAt(2) ? null : r.getInt(2), (byte[]) r.get(3),
          r.getBoolean(5)));
    }
    reinforce(shard, batch);
    batch.flush();
    return batch.out.iterator();
  }

  private void reinforce(List<Member> shard, Batch batch) {
    Map<Long, BufferedImage> partners = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, BufferedImage> eldest) {
        return size() > DECODED_PARTNERS;
      }
    };
    for (int position = 0; position < shard.size(); position++) {
      Member m = shard.get(position);
      if (!m.pending()) {
        continue; // done by an earlier run: here only as a partner
      }
      BufferedImage image = decode(m);
      if (image == null) {
        undecodable.add(1);
        done.add(1);
        continue;
      }
      for (int index = 0; index < augmentations; index++) {
        Member partner = m;
        BufferedImage partnerImage = image;
        if (policy.mixes()) {
          partner = shard.get(AugmentPolicy.partner(seed, m.id, index, position, shard.size()));
          partnerImage = partner == m ? image : partners.get(partner.id);
          if (partnerImage == null) {
            partnerImage = decode(partner);
            if (partnerImage == null) {
              partner = m; // an undecodable partner: mix with itself (its own failure is reported in its turn)
              partnerImage = image;
            } else {
              partners.put(partner.id, partnerImage);
            }
          }
        }
        Augmentation a = policy.draw(seed, m.id, index, image.getHeight(), image.getWidth(), partner.id,
            partnerImage.getHeight(), partnerImage.getWidth());
        batch.add(m, index, a, image, partnerImage);
      }
      done.add(1);
    }
  }

  private static BufferedImage decode(Member m) {
    try {
      BufferedImage image = Pixels.decode(m.image);
      if (image == null) {
        throw new IOException("no decoder for these bytes");
      }
      return image;
    } catch (IOException | RuntimeException e) {
      LOG.warn("reinforce: skipping sample_id " + m.id + ": cannot decode it (" + e.getMessage() + ")");
      return null;
    }
  }

  /** Augmented images waiting for the teachers: one pixel buffer per distinct teacher input. */
  private final class Batch {
    final List<Row> out = new ArrayList<>();
    final int[] viewOf = new int[teachers.size()];
    /** Each teacher's predictor, loaded once per partition (a model on s3a is copied to this machine first). */
    final Predictor[] predictors = new Predictor[teachers.size()];
    final List<ModelInput> views = new ArrayList<>();
    final float[][] pixels;
    final Member[] members = new Member[batchSize];
    final int[] indices = new int[batchSize];
    final Augmentation[] augs = new Augmentation[batchSize];
    int n;

    Batch() {
      for (int t = 0; t < teachers.size(); t++) {
        predictors[t] = Engines.shared(teachers.get(t).input().onThisMachine(conf.value()).directory());
        int v = -1;
        for (int u = 0; u < t && v < 0; u++) {
          if (teachers.get(u).sameView(teachers.get(t))) {
            v = viewOf[u];
          }
        }
        if (v < 0) {
          v = views.size();
          views.add(teachers.get(t).input());
        }
        viewOf[t] = v;
      }
      pixels = new float[views.size()][];
      for (int v = 0; v < views.size(); v++) {
        ModelInput in = views.get(v);
        pixels[v] = new float[batchSize * in.height() * in.width() * in.channels()];
      }
    }

    void add(Member m, int index, Augmentation a, BufferedImage image, BufferedImage partner) {
      for (int v = 0; v < views.size(); v++) {
        ModelInput in = views.get(v);
        AugmentReplay.render(image, a, partner, in.height(), in.width(), in.channels(), in.mean(), in.std(), pixels[v],
            n * in.height() * in.width() * in.channels());
      }
      members[n] = m;
      indices[n] = index;
      augs[n] = a;
      n++;
      if (n == batchSize) {
        flush();
      }
    }

    void flush() {
      if (n == 0) {
        return;
      }
      float[] mean = new float[n * classes];
      float weight = 1f / teachers.size();
      for (int t = 0; t < teachers.size(); t++) {
        ModelInput in = teachers.get(t).input();
        int per = in.height() * in.width() * in.channels();
        float[] images = n == batchSize ? pixels[viewOf[t]] : Arrays.copyOf(pixels[viewOf[t]], n * per);
        float[] logits = predictors[t].predict(new ImageBatch(images, n, in.height(), in.width(), in.channels()));
        if (logits.length != n * classes) {
          throw new IllegalStateException("teacher " + teachers.get(t).id() + " returned " + logits.length / n
              + " logits per image, expected " + classes);
        }
        for (int i = 0; i < n; i++) {
          TeacherTopK.addSoftmax(logits, i * classes, classes, weight, mean, i * classes);
        }
      }
      for (int i = 0; i < n; i++) {
        Member m = members[i];
        out.add(new StoredAugmentation(m.id, indices[i], m.label, augs[i], TeacherTopK.of(mean, i * classes, classes, topK))
            .toRow(m.split, version));
      }
      n = 0;
    }
  }
}
