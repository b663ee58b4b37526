package io.cvpipe.eval.shift;

import io.cvpipe.common.Errors;
import io.cvpipe.common.settings.Settings;
import io.cvpipe.common.table.Tables;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Everything {@code cvpipe shift} needs, read and checked before Spark starts.
 *
 * @param scale the parameter table to use; null (auto): the one made for the size nearest each image's shorter side
 */
public record ShiftSettings(String dataset, String split, List<Corruption> corruptions, List<Integer> severities,
    long seed, Corruption.Scale scale, Duration progressInterval) implements Serializable {

  public static ShiftSettings from(Settings s) {
    String dataset = Tables.checkDataset(s.string("dataset", "fashion_mnist"));
    List<Corruption> corruptions = new ArrayList<>();
    List<String> names = s.strings("shift.corruptions");
    for (String name : names.isEmpty() ? List.of("all") : names) {
      if (name.equals("all")) {
        corruptions.addAll(Arrays.asList(Corruption.values()));
        continue;
      }
      Corruption c = Corruption.named(name);
      if (c == null) {
        List<String> allowed = new ArrayList<>(Arrays.stream(Corruption.values()).map(Corruption::code).toList());
        allowed.add("all");
        throw Errors.unknownValue("shift.corruptions", name, allowed);
      }
      corruptions.add(c);
    }
    String scaleName = s.stringOr("shift.scale", "auto");
    Corruption.Scale scale = null;
    if (!scaleName.equals("auto")) {
      scale = Arrays.stream(Corruption.Scale.values()).filter(v -> v.code().equals(scaleName)).findFirst().orElse(null);
      if (scale == null) {
        throw Errors.unknownValue("shift.scale", scaleName,
            List.of("auto", "imagenet-c", "tiny-imagenet-c", "cifar-10-c"));
      }
    }
    return new ShiftSettings(dataset, s.string("shift.split", "val"), new ArrayList<>(new java.util.LinkedHashSet<>(corruptions)),
        severities(s.strings("shift.severity")), s.longAtLeast("shift.seed", 0), scale,
        s.duration("shift.progress-interval"));
  }

  /** {@code 3}, {@code 1..5}, {@code [1, 3, 5]} or a mix, each 1 to 5. */
  static List<Integer> severities(List<String> values) {
    TreeSet<Integer> out = new TreeSet<>();
    for (String v : values.isEmpty() ? List.of("1..5") : values) {
      String[] range = v.split("\\.\\.", -1);
      try {
        int from = Integer.parseInt(range[0].trim());
        int to = range.length == 2 ? Integer.parseInt(range[1].trim()) : from;
        if (range.length > 2 || from < 1 || to > 5 || from > to) {
          throw new NumberFormatException();
        }
        for (int i = from; i <= to; i++) {
          out.add(i);
        }
      } catch (NumberFormatException e) {
        throw Errors.setting("shift.severity", "'" + v + "' is not a severity from 1 to 5: give one (3), a range "
            + "(1..5) or a list ([1, 3, 5])");
      }
    }
    return List.copyOf(out);
  }

  /** The parameter table for an image of this size. */
  public Corruption.Scale scale(int height, int width) {
    return scale != null ? scale : Corruption.Scale.nearest(height, width);
  }

  /** The split a corruption at a severity writes: {@code <split>-<corruption>-<severity>}, e.g. val-gaussian_noise-3. */
  public String target(Corruption corruption, int severity) {
    return split + "-" + corruption.code() + "-" + severity;
  }

  /** Every target split, corruption by corruption. */
  public List<String> targets() {
    List<String> out = new ArrayList<>();
    for (Corruption c : corruptions) {
      for (int severity : severities) {
        out.add(target(c, severity));
      }
    }
    return out;
  }
}
