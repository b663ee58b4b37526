package io.cvpipe.train.input;

import io.cvpipe.common.augment.Augmentation;
import io.cvpipe.common.augment.CropBox;
import io.cvpipe.common.augment.RandAugment;
import io.cvpipe.common.reinforce.StoredAugmentation;
import io.cvpipe.common.reinforce.TeacherTopK;
import java.util.Arrays;

/**
 * The stored augmentations a training task holds, packed into primitive arrays by column rather than kept as one
 * object graph a row: 156 bytes a row on the heap against 473 as {@link StoredAugmentation} records (measured on
 * Fashion-MNIST reinforced with RRC+RA/RE+mixing, top-10), which is what lets a rank hold its share of ImageNet+
 * (N = 400 a sample) in a sane heap. A row is rebuilt as a record only when the loader picks it.
 *
 * <p>The teachers' probabilities are kept as their {@link TeacherTopK#GRID} grid steps and the class indices in 16
 * bits, so both are exact. Build with {@link #builder()}; the rows of a sample come back in augmentation order.
 */
public final class StoredAugmentations {

  private static final RandAugment.Op[] OPS = RandAugment.Op.values();
  private static final int FLIP = 1;
  private static final int PARTNER_FLIP = 2;
  private static final int NONE = -1;

  // by sample: the sorted distinct ids, and where each one's rows start in `order`
  private final long[] sampleIds;
  private final int[] firstRow;
  private final int[] order;

  // by row
  private final int[] index; // the augmentation's index in its sample
  private final int[] classIndex; // NONE for a row without one
  private final int[] crop; // top, left, height, width
  private final byte[] flags;
  private final int[] opsEnd; // ops of row r at [opsEnd[r - 1], opsEnd[r])
  private final int[] erasing; // a box, or NONE
  private final int[] mixing; // a mixing, or NONE
  private final int[] teacherEnd; // top-k of row r at [teacherEnd[r - 1], teacherEnd[r])

  // pools the rows point into
  private final byte[] ops; // two bytes an op: its ordinal and its signed bin
  private final byte[] partnerOps; // the same, of the mixings' partners
  private final float[] boxes; // top, left, height, width
  private final char[] teacherClasses;
  private final char[] teacherSteps; // probability * GRID

  // by mixing
  private final float[] mixupLambda; // NaN without MixUp
  private final int[] cutmixBox; // a box, or NONE
  private final long[] partnerId;
  private final int[] partnerCrop;
  private final int[] partnerOpsEnd; // ops of mixing m at [partnerOpsEnd[m - 1], partnerOpsEnd[m])
  private final int[] partnerErasing;

  /** Takes the builder's arrays, which {@link Builder#build} trimmed to their sizes. */
  private StoredAugmentations(Builder b, long[] sampleIds, int[] firstRow, int[] order) {
    this.sampleIds = sampleIds;
    this.firstRow = firstRow;
    this.order = order;
    this.index = b.rowIndex;
    this.classIndex = b.classIndex;
    this.crop = b.crop;
    this.flags = b.flags;
    this.opsEnd = b.opsEnd;
    this.erasing = b.erasing;
    this.mixing = b.mixing;
    this.teacherEnd = b.teacherEnd;
    this.ops = b.ops;
    this.partnerOps = b.partnerOps;
    this.boxes = b.boxes;
    this.teacherClasses = b.teacherClasses;
    this.teacherSteps = b.teacherSteps;
    this.mixupLambda = b.mixupLambda;
    this.cutmixBox = b.cutmixBox;
    this.partnerId = b.partnerId;
    this.partnerCrop = b.partnerCrop;
    this.partnerOpsEnd = b.partnerOpsEnd;
    this.partnerErasing = b.partnerErasing;
  }

  public static Builder builder() {
    return new Builder(0);
  }

  /**
   * A builder for about {@code expectedRows} rows: it sizes its columns for them as the first rows show what a row
   * needs, instead of doubling them, which would hold a column twice over and leave half of it empty.
   */
  public static Builder builder(long expectedRows) {
    return new Builder(expectedRows);
  }

  /** How many samples have stored augmentations. */
  public int samples() {
    return sampleIds.length;
  }

  /** How many stored augmentations there are, over all samples. */
  public int rows() {
    return order.length;
  }

  /** How many stored augmentations sample {@code sampleId} has; 0 for a sample the table does not know. */
  public int count(long sampleId) {
    int s = Arrays.binarySearch(sampleIds, sampleId);
    return s < 0 ? 0 : firstRow[s + 1] - firstRow[s];
  }

  /** The {@code j}-th stored augmentation of sample {@code sampleId}, in augmentation order. */
  public StoredAugmentation get(long sampleId, int j) {
    int s = Arrays.binarySearch(sampleIds, sampleId);
    if (s < 0 || j < 0 || j >= firstRow[s + 1] - firstRow[s]) {
      throw new IndexOutOfBoundsException("sample " + sampleId + " has " + count(sampleId)
          + " stored augmentations, not an augmentation at position " + j);
    }
    int r = order[firstRow[s] + j];
    Augmentation.Mixing mix = null;
    int m = mixing[r];
    if (m != NONE) {
      float lambda = mixupLambda[m];
      mix = new Augmentation.Mixing(Float.isNaN(lambda) ? null : lambda, box(cutmixBox[m]), partnerId[m],
          crop(partnerCrop, m, (flags[r] & PARTNER_FLIP) != 0), ops(partnerOps, m == 0 ? 0 : partnerOpsEnd[m - 1],
          partnerOpsEnd[m]),
          box(partnerErasing[m]));
    }
    Augmentation augmentation = new Augmentation(crop(crop, r, (flags[r] & FLIP) != 0),
        ops(ops, r == 0 ? 0 : opsEnd[r - 1], opsEnd[r]), box(erasing[r]), mix);
    int from = r == 0 ? 0 : teacherEnd[r - 1];
    int k = teacherEnd[r] - from;
    int[] classes = new int[k];
    float[] probabilities = new float[k];
    for (int i = 0; i < k; i++) {
      classes[i] = teacherClasses[from + i];
      probabilities[i] = (float) teacherSteps[from + i] / TeacherTopK.GRID;
    }
    return new StoredAugmentation(sampleId, index[r], classIndex[r] == NONE ? null : classIndex[r], augmentation,
        new TeacherTopK(classes, probabilities));
  }

  /** The bytes the arrays take, for the log. */
  public long bytes() {
    return 8L * sampleIds.length + 4L * firstRow.length + 4L * order.length + 4L * index.length + 4L * classIndex.length
        + 4L * crop.length + flags.length + 4L * opsEnd.length + 4L * erasing.length + 4L * mixing.length
        + 4L * teacherEnd.length + ops.length + partnerOps.length + 4L * boxes.length + 2L * teacherClasses.length
        + 2L * teacherSteps.length + 4L * mixupLambda.length + 4L * cutmixBox.length + 8L * partnerId.length
        + 4L * partnerCrop.length + 4L * partnerOpsEnd.length + 4L * partnerErasing.length;
  }

  private static CropBox crop(int[] boxes, int i, boolean flip) {
    return new CropBox(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], flip);
  }

  private static RandAugment.Applied[] ops(byte[] pool, int from, int to) {
    RandAugment.Applied[] out = new RandAugment.Applied[(to - from) / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = new RandAugment.Applied(OPS[pool[from + 2 * i]], pool[from + 2 * i + 1]);
    }
    return out;
  }

  private Augmentation.Box box(int b) {
    return b == NONE ? null : new Augmentation.Box(boxes[4 * b], boxes[4 * b + 1], boxes[4 * b + 2], boxes[4 * b + 3]);
  }

  /** Takes rows in any order, the way a table's files give them. */
  public static final class Builder {

    private int rows;
    private long[] rowSample = new long[16];
    private int[] rowIndex = new int[16];
    private int[] classIndex = new int[16];
    private int[] crop = new int[64];
    private byte[] flags = new byte[16];
    private int[] opsEnd = new int[16];
    private int[] erasing = new int[16];
    private int[] mixing = new int[16];
    private int[] teacherEnd = new int[16];

    private int opBytes;
    private byte[] ops = new byte[64];
    private int partnerOpBytes;
    private byte[] partnerOps = new byte[64];
    private int boxCount;
    private float[] boxes = new float[64];
    private int teacherCount;
    private char[] teacherClasses = new char[64];
    private char[] teacherSteps = new char[64];

    private int mixings;
    private float[] mixupLambda = new float[16];
    private int[] cutmixBox = new int[16];
    private long[] partnerId = new long[16];
    private int[] partnerCrop = new int[64];
    private int[] partnerOpsEnd = new int[16];
    private int[] partnerErasing = new int[16];

    private final long expected;

    private Builder(long expected) {
      this.expected = expected;
    }

    public Builder add(StoredAugmentation stored) {
      if (rows == rowSample.length) {
        int n = capacity(rows + 1L, 4);
        rowSample = Arrays.copyOf(rowSample, n);
        resizeRows(n);
      }
      Augmentation a = stored.augmentation();
      Augmentation.Mixing m = a.mixing();
      if ((stored.classIndex() != null && stored.classIndex() < 0)
          || (m != null && m.mixupLambda() != null && m.mixupLambda().isNaN())) {
        throw new IllegalArgumentException("sample " + stored.sampleId() + ": class index " + stored.classIndex()
            + (m == null ? "" : ", MixUp weight " + m.mixupLambda()) + ": a negative class or a NaN weight is not "
            + "what reinforce writes; was the table written by another program?");
      }
      int r = rows++;
      rowSample[r] = stored.sampleId();
      rowIndex[r] = stored.index();
      classIndex[r] = stored.classIndex() == null ? NONE : stored.classIndex();
      putCrop(crop, r, a.crop());
      flags[r] = (byte) ((a.crop().flip() ? FLIP : 0) | (m != null && m.partnerCrop().flip() ? PARTNER_FLIP : 0));
      ops = addOps(ops, opBytes, a.ops());
      opsEnd[r] = opBytes += 2 * a.ops().length;
      erasing[r] = addBox(a.erasing());
      mixing[r] = m == null ? NONE : addMixing(m);
      addTeacher(stored.teacher(), stored.sampleId());
      teacherEnd[r] = teacherCount;
      return this;
    }

    /** Sorts the rows by sample and augmentation; the builder is spent. */
    public StoredAugmentations build() {
      long[] ids = Arrays.copyOf(rowSample, rows);
      Arrays.sort(ids);
      int distinct = 0;
      for (int i = 0; i < ids.length; i++) {
        if (i == 0 || ids[i] != ids[i - 1]) {
          ids[distinct++] = ids[i];
        }
      }
      ids = Arrays.copyOf(ids, distinct);
      // a counting sort by sample, then each sample's few rows by augmentation index
      int[] first = new int[distinct + 1];
      int[] sampleOf = new int[rows];
      for (int r = 0; r < rows; r++) {
        sampleOf[r] = Arrays.binarySearch(ids, rowSample[r]);
        first[sampleOf[r] + 1]++;
      }
      rowSample = null;
      for (int s = 0; s < distinct; s++) {
        first[s + 1] += first[s];
      }
      int[] order = new int[rows];
      int[] filled = Arrays.copyOf(first, distinct);
      for (int r = 0; r < rows; r++) {
        order[filled[sampleOf[r]]++] = r;
      }
      sampleOf = null;
      filled = null;
      long[] keys = new long[0];
      for (int s = 0; s < distinct; s++) {
        int n = first[s + 1] - first[s];
        if (keys.length < n) {
          keys = new long[n];
        }
        for (int i = 0; i < n; i++) {
          int r = order[first[s] + i];
          keys[i] = (long) rowIndex[r] << 32 | r;
        }
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
          order[first[s] + i] = (int) keys[i];
        }
      }
      // trimmed one at a time, each array let go before the next is copied: the peak is the arrays once, plus one
      resizeRows(rows);
      ops = Arrays.copyOf(ops, opBytes);
      partnerOps = Arrays.copyOf(partnerOps, partnerOpBytes);
      boxes = Arrays.copyOf(boxes, 4 * boxCount);
      teacherClasses = Arrays.copyOf(teacherClasses, teacherCount);
      teacherSteps = Arrays.copyOf(teacherSteps, teacherCount);
      resizeMixings(mixings);
      return new StoredAugmentations(this, ids, first, order);
    }

    /** The by-row columns at length {@code n}, one at a time (each old array let go before the next is copied). */
    private void resizeRows(int n) {
      rowIndex = Arrays.copyOf(rowIndex, n);
      classIndex = Arrays.copyOf(classIndex, n);
      crop = Arrays.copyOf(crop, 4 * n);
      flags = Arrays.copyOf(flags, n);
      opsEnd = Arrays.copyOf(opsEnd, n);
      erasing = Arrays.copyOf(erasing, n);
      mixing = Arrays.copyOf(mixing, n);
      teacherEnd = Arrays.copyOf(teacherEnd, n);
    }

    /** The by-mixing columns at length {@code n}. */
    private void resizeMixings(int n) {
      mixupLambda = Arrays.copyOf(mixupLambda, n);
      cutmixBox = Arrays.copyOf(cutmixBox, n);
      partnerId = Arrays.copyOf(partnerId, n);
      partnerCrop = Arrays.copyOf(partnerCrop, 4 * n);
      partnerOpsEnd = Arrays.copyOf(partnerOpsEnd, n);
      partnerErasing = Arrays.copyOf(partnerErasing, n);
    }

    /**
     * The length to grow a column to that must hold {@code needed} values ({@code unit} array elements each): what
     * the rows so far extrapolate to at the expected rows, or, past those or without them, half as much again.
     */
    private int capacity(long needed, int unit) {
      long target = rows > 0 && rows < expected ? (long) Math.ceil(1.02 * needed * expected / rows)
          : needed + (needed >> 1);
      long limit = (Integer.MAX_VALUE - 8) / unit;
      if (needed > limit) {
        throw new IllegalStateException("more stored augmentations than one training process can hold ("
            + rows + " rows so far); train on more tasks (train.tasks) so that each holds a smaller share");
      }
      return (int) Math.min(limit, Math.max(16, target));
    }

    /** Writes {@code applied} at {@code pool[at]}, two bytes an op; the pool, grown if it had to. */
    private byte[] addOps(byte[] pool, int at, RandAugment.Applied[] applied) {
      byte[] out = at + 2 * applied.length > pool.length ? Arrays.copyOf(pool, capacity(at + 2L * applied.length, 1))
          : pool;
      for (RandAugment.Applied op : applied) {
        out[at++] = (byte) op.op().ordinal();
        out[at++] = (byte) op.signedBin(); // |bin| < RandAugment.BINS = 31
      }
      return out;
    }

    private int addBox(Augmentation.Box box) {
      if (box == null) {
        return NONE;
      }
      if (4 * boxCount == boxes.length) {
        boxes = Arrays.copyOf(boxes, 4 * capacity(boxCount + 1L, 4));
      }
      int b = boxCount++;
      boxes[4 * b] = box.top();
      boxes[4 * b + 1] = box.left();
      boxes[4 * b + 2] = box.height();
      boxes[4 * b + 3] = box.width();
      return b;
    }

    private int addMixing(Augmentation.Mixing m) {
      if (mixings == mixupLambda.length) {
        resizeMixings(capacity(mixings + 1L, 4));
      }
      int i = mixings++;
      mixupLambda[i] = m.mixupLambda() == null ? Float.NaN : m.mixupLambda();
      cutmixBox[i] = addBox(m.cutmixBox());
      partnerId[i] = m.partnerId();
      putCrop(partnerCrop, i, m.partnerCrop());
      partnerOps = addOps(partnerOps, partnerOpBytes, m.partnerOps());
      partnerOpsEnd[i] = partnerOpBytes += 2 * m.partnerOps().length;
      partnerErasing[i] = addBox(m.partnerErasing());
      return i;
    }

    private void addTeacher(TeacherTopK teacher, long sampleId) {
      int k = teacher.classes().length;
      if (teacherCount + k > teacherClasses.length) {
        int n = capacity((long) teacherCount + k, 1);
        teacherClasses = Arrays.copyOf(teacherClasses, n);
        teacherSteps = Arrays.copyOf(teacherSteps, n);
      }
      for (int i = 0; i < k; i++) {
        int c = teacher.classes()[i];
        float p = teacher.probabilities()[i];
        float steps = p * TeacherTopK.GRID;
        if (c < 0 || c > Character.MAX_VALUE || steps != Math.rint(steps) || steps < 0 || steps > TeacherTopK.GRID) {
          throw new IllegalArgumentException("sample " + sampleId + ": a teacher's answer (class " + c
              + ", probability " + p + ") is not a class below 65,536 with a probability on the grid of 1/"
              + TeacherTopK.GRID + " that reinforce writes; was the table written by another program?");
        }
        teacherClasses[teacherCount] = (char) c;
        teacherSteps[teacherCount++] = (char) steps;
      }
    }

    private static void putCrop(int[] to, int i, CropBox box) {
      to[4 * i] = box.top();
      to[4 * i + 1] = box.left();
      to[4 * i + 2] = box.height();
      to[4 * i + 3] = box.width();
    }
  }
}
