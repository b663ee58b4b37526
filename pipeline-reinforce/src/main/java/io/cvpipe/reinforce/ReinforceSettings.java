package io.cvpipe.reinforce;

import io.cvpipe.common.Errors;
import io.cvpipe.common.augment.AugmentPolicy;
import io.cvpipe.common.augment.RandomResizedCrop;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import java.io.Serializable;
import java.util.List;

/** The {@code reinforce.*} settings, checked before Spark starts. */
public record ReinforceSettings(String dataset, List<String> teachers, String modelsDir, int augmentations, int topK,
    long seed, Policy policyKind, double minScale, int randAugmentOps, int randAugmentMagnitude, List<String> splits,
    int batchSize, int shardSize, int commitEvery, int inputSize, int inputChannels) implements Serializable {

  /** ml-dr's augmentation variants. */
  public enum Policy {
    RRC("rrc", AugmentPolicy.RRC), RRC_RA_RE("rrc-ra-re", AugmentPolicy.RRC_RA_RE),
    RRC_RA_RE_MIX("rrc-ra-re-mix", AugmentPolicy.RRC_RA_RE_MIX);

    private final String code;
    private final AugmentPolicy preset;

    Policy(String code, AugmentPolicy preset) {
      this.code = code;
      this.preset = preset;
    }

    public String code() {
      return code;
    }
  }

  public static ReinforceSettings from(Settings s) {
    List<String> teachers = s.strings("reinforce.teachers");
    if (teachers.isEmpty()) {
      throw Errors.missingSetting("reinforce.teachers", "[models/teacher-a/best, models/teacher-b/best]");
    }
    double minScale = s.config().getDouble("reinforce.augment.min-scale");
    if (!(minScale > 0 && minScale <= 1)) {
      throw Errors.setting("reinforce.augment.min-scale", minScale + " must be above 0 and at most 1");
    }
    List<String> splits = s.strings("reinforce.splits");
    if (splits.isEmpty()) {
      throw Errors.missingSetting("reinforce.splits", "[train]");
    }
    int channels = s.intIn("reinforce.input-channels", 1, 3);
    if (channels == 2) {
      throw Errors.setting("reinforce.input-channels", "2 is not supported. Allowed: 1 (grey) or 3 (RGB)");
    }
    return new ReinforceSettings(
        Tables.checkDataset(s.string("dataset", "imagenet")),
        teachers,
        s.stringOr("reinforce.models-dir", "models"),
        s.intIn("reinforce.augmentations", 1, 100_000),
        s.intIn("reinforce.top-k", 1, 100_000),
        s.longAtLeast("reinforce.seed", Long.MIN_VALUE),
        s.choice("reinforce.policy", Policy.class, Policy::code),
        minScale,
        s.intIn("reinforce.augment.randaugment.ops", 0, 16),
        s.intIn("reinforce.augment.randaugment.magnitude", 0, 30),
        splits,
        s.intIn("reinforce.batch-size", 1, 100_000),
        s.intIn("reinforce.shard-size", 1, 10_000_000),
        s.intIn("reinforce.commit-every", 1, Integer.MAX_VALUE),
        s.intIn("reinforce.input-size", 8, 4096),
        channels);
  }

  /** The policy preset with this run's crop scale and RandAugment strength. */
  public AugmentPolicy policy() {
    AugmentPolicy p = policyKind.preset;
    boolean ra = p.randAugmentOps() > 0;
    return p.with(new RandomResizedCrop(minScale, 1.0, 3.0 / 4.0, 4.0 / 3.0), ra ? randAugmentOps : 0,
        ra ? randAugmentMagnitude : 0);
  }
}
