package io.cvpipe.train.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.RandAugment;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.common.reinforce.TeacherTopK;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestStoredAugmentations {

  @Test
  void givesBackEveryRowAsItWasAddedInAugmentationOrder() {
    Random random = new Random(7);
    List<StoredAugmentation> rows = new ArrayList<>();
    for (long sample = 0; sample < 50; sample++) {
      int n = 1 + random.nextInt(6);
      for (int index = 0; index < n; index++) {
        rows.add(random(1_000_000_007L * sample, index, random));
      }
    }
    Collections.shuffle(rows, random); // a table's files give rows in any order

    // grown by half each time, by an estimate too low (extrapolated, then past it), and by the right one
    for (long expected : new long[] {0, rows.size() / 3, rows.size()}) {
      StoredAugmentations.Builder builder = StoredAugmentations.builder(expected);
      rows.forEach(builder::add);
      StoredAugmentations stored = builder.build();

      assertThat(stored.samples()).isEqualTo(50);
      assertThat(stored.rows()).isEqualTo(rows.size());
      assertThat(stored.count(3)).as("a sample the table does not know").isZero();
      int mixed = 0;
      for (StoredAugmentation row : rows) {
        StoredAugmentation back = stored.get(row.sampleId(), row.index());
        // Row equality compares every column, the arrays by value
        assertThat(back.toRow("train", "v")).isEqualTo(row.toRow("train", "v"));
        assertThat(back.teacher().probabilities()).containsExactly(row.teacher().probabilities());
        mixed += row.augmentation().mixing() == null ? 0 : 1;
      }
      assertThat(mixed).as("the rows cover mixing and not").isBetween(rows.size() / 4, rows.size() * 3 / 4);
      assertThat(stored.bytes() / rows.size()).as("bytes a row").isLessThan(160);
    }
  }

  @Test
  void refusesWhatItCannotKeepExactly() {
    StoredAugmentation row = random(1, 0, new Random(1));
    StoredAugmentation offGrid = new StoredAugmentation(1, 0, 2, row.augmentation(),
        new TeacherTopK(new int[] {2}, new float[] {0.3f}));
    StoredAugmentation manyClasses = new StoredAugmentation(1, 0, 2, row.augmentation(),
        new TeacherTopK(new int[] {70_000}, new float[] {0.5f}));

    assertThatThrownBy(() -> StoredAugmentations.builder().add(offGrid))
        .hasMessageContaining("sample 1: a teacher's answer (class 2, probability 0.3) is not a class below 65,536 "
            + "with a probability on the grid of 1/8192");
    assertThatThrownBy(() -> StoredAugmentations.builder().add(manyClasses))
        .hasMessageContaining("(class 70000, probability 0.5)");
    StoredAugmentation negativeClass = new StoredAugmentation(1, 0, -1, row.augmentation(), row.teacher());
    assertThatThrownBy(() -> StoredAugmentations.builder().add(negativeClass))
        .hasMessageContaining("sample 1: class index -1").hasMessageContaining("a negative class or a NaN weight");
    StoredAugmentations one = StoredAugmentations.builder().add(row).build();
    assertThatThrownBy(() -> one.get(1, 1)).hasMessageContaining("sample 1 has 1 stored augmentations, not an "
        + "augmentation at position 1");
  }

  private static StoredAugmentation random(long sampleId, int index, Random random) {
    Augmentation.Mixing mixing = null;
    if (random.nextBoolean()) {
      boolean mixup = random.nextBoolean();
      boolean cutmix = !mixup || random.nextBoolean();
      mixing = new Augmentation.Mixing(mixup ? random.nextFloat() : null, cutmix ? box(random) : null,
          random.nextLong(), crop(random), ops(random), random.nextBoolean() ? box(random) : null);
    }
    Augmentation a = new Augmentation(crop(random), ops(random), random.nextBoolean() ? box(random) : null, mixing);
    int k = 1 + random.nextInt(10);
    int[] classes = new int[k];
    float[] probabilities = new float[k];
    for (int i = 0; i < k; i++) {
      classes[i] = random.nextInt(65_536);
      probabilities[i] = (float) random.nextInt(TeacherTopK.GRID + 1) / TeacherTopK.GRID;
    }
    return new StoredAugmentation(sampleId, index, random.nextBoolean() ? null : random.nextInt(1000), a,
        new TeacherTopK(classes, probabilities));
  }

  private static CropBox crop(Random random) {
    return new CropBox(random.nextInt(5000), random.nextInt(5000), 1 + random.nextInt(5000), 1 + random.nextInt(5000),
        random.nextBoolean());
  }

  private static RandAugment.Applied[] ops(Random random) {
    RandAugment.Op[] all = RandAugment.Op.values();
    RandAugment.Applied[] ops = new RandAugment.Applied[random.nextInt(4)];
    for (int i = 0; i < ops.length; i++) {
      RandAugment.Op op = all[random.nextInt(all.length)];
      int bin = random.nextInt(RandAugment.BINS);
      ops[i] = new RandAugment.Applied(op, op.signed() && random.nextBoolean() ? -bin : bin);
    }
    return ops;
  }

  private static Augmentation.Box box(Random random) {
    return new Augmentation.Box(random.nextFloat(), random.nextFloat(), random.nextFloat(), random.nextFloat());
  }
}
