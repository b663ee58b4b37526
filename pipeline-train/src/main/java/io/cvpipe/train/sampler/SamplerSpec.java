package io.cvpipe.train.sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * What a sampler needs: its kind, the base crop size and batch size (b0), the crop range, how many scales
 * and the divisor they are rounded to. {@link #scales()} gives CVNets' exact list.
 */
public record SamplerSpec(SamplerKind kind, int baseHeight, int baseWidth, int batchSize, int minCrop, int maxCrop,
    int numScales, int divisor) implements java.io.Serializable {

  public SamplerSpec {
    if (baseHeight <= 0 || baseWidth <= 0 || batchSize <= 0 || numScales <= 0 || divisor <= 0) {
      throw new IllegalArgumentException("sizes, batch size, scales and divisor must be positive: " + this);
    }
    if (minCrop <= 0 || minCrop > maxCrop) {
      throw new IllegalArgumentException("min crop " + minCrop + " must be positive and at most max crop " + maxCrop);
    }
  }

  /**
   * The (crop, batch) pairs. SSc-FBS: the base size only. Multi-scale: {@code make_divisible} of the
   * {@code linspace(min, max, n)} values and the base size, sorted and distinct (CVNets
   * {@code image_batch_pairs}); heights and widths are paired position by position. MSc-VBS batch sizes
   * keep the pixels of a batch constant against the base: {@code max(1, floor(bh * bw * b0 / (h * w)))}
   * (CVNets truncates; with base 224 and b0 128 that gives 392 / 174 / 128 / 77 / 62).
   */
  public List<Scale> scales() {
    if (kind == SamplerKind.SSC_FBS) {
      return List.of(new Scale(baseHeight, baseWidth, batchSize));
    }
    List<Integer> heights = sizes(baseHeight);
    List<Integer> widths = sizes(baseWidth);
    List<Scale> out = new ArrayList<>();
    for (int i = 0; i < Math.min(heights.size(), widths.size()); i++) {
      int h = heights.get(i);
      int w = widths.get(i);
      int batch = kind == SamplerKind.MSC_VBS
          ? (int) Math.max(1, (long) baseHeight * baseWidth * batchSize / ((long) h * w))
          : batchSize;
      out.add(new Scale(h, w, batch));
    }
    return out;
  }

  private List<Integer> sizes(int base) {
    TreeSet<Integer> sizes = new TreeSet<>();
    for (int i = 0; i < numScales; i++) {
      double v = numScales == 1 ? minCrop : minCrop + (maxCrop - minCrop) * (double) i / (numScales - 1);
      sizes.add(makeDivisible(v, divisor));
    }
    sizes.add(makeDivisible(base, divisor));
    return new ArrayList<>(sizes);
  }

  /** CVNets / MobileNet {@code make_divisible}: nearest multiple of d, at least d, never 10% below v. */
  public static int makeDivisible(double v, int d) {
    int rounded = Math.max(d, (int) (v + d / 2.0) / d * d);
    return rounded < 0.9 * v ? rounded + d : rounded;
  }
}
