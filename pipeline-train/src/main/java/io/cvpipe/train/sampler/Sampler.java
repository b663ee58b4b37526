package io.cvpipe.train.sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * CVNets' batch samplers (SSc-FBS, MSc-FBS, MSc-VBS) over {@code n} samples, for one rank of
 * {@code world}: the index list is padded by wrapping to a multiple of world, shuffled with the epoch as
 * seed, and rank r takes every world-th index from r. Each batch then draws a scale (uniformly; the
 * single-scale sampler has one) and takes as many indices as the scale's batch size; the last batch is filled
 * up to its size from the start of the rank's list, as CVNets does. Same inputs, same plan: a resumed run
 * replays its epoch exactly.
 */
public final class Sampler {

  private final SamplerSpec spec;
  private final List<Scale> scales;
  private final long seed;

  public Sampler(SamplerSpec spec, long seed) {
    this.spec = spec;
    this.scales = spec.scales();
    this.seed = seed;
  }

  public SamplerSpec spec() {
    return spec;
  }

  public List<Scale> scales() {
    return scales;
  }

  /** The batches rank {@code rank} of {@code world} runs in {@code epoch}, over sample positions 0..n-1. */
  public List<BatchPlan> epoch(int n, int epoch, int rank, int world) {
    if (world <= 0 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " is not in a world of " + world);
    }
    if (n == 0) {
      return List.of();
    }
    int padded = (n + world - 1) / world * world;
    int[] indices = new int[padded];
    for (int i = 0; i < padded; i++) {
      indices[i] = i % n; // wrap: the first samples fill the last ranks' gap
    }
    Random random = new Random(seed * 1_000_003L + epoch);
    for (int i = padded - 1; i > 0; i--) { // Fisher-Yates
      int j = random.nextInt(i + 1);
      int t = indices[i];
      indices[i] = indices[j];
      indices[j] = t;
    }
    int[] mine = new int[padded / world];
    for (int i = 0; i < mine.length; i++) {
      mine[i] = indices[rank + i * world];
    }
    List<BatchPlan> batches = new ArrayList<>();
    int start = 0;
    while (start < mine.length) {
      Scale scale = scales.size() == 1 ? scales.get(0) : scales.get(random.nextInt(scales.size()));
      int end = Math.min(mine.length, start + scale.batchSize());
      // CVNets fills the epoch's last batch from the start of the list: a batch of a few images makes batch
      // norm's variance near zero and one such step at full learning rate wrecks the weights (seen: 2 images)
      int fill = Math.min(scale.batchSize() - (end - start), mine.length);
      int[] batch = new int[end - start + fill];
      System.arraycopy(mine, start, batch, 0, end - start);
      System.arraycopy(mine, 0, batch, end - start, fill);
      batches.add(new BatchPlan(scale.height(), scale.width(), batch));
      start = end;
    }
    return batches;
  }
}
