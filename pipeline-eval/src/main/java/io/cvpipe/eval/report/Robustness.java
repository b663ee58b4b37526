package io.cvpipe.eval.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A run's evaluations on corrupted copies of its split ({@code cvpipe shift}), and ImageNet-C's corruption errors
 * (Hendrycks and Dietterich, 2019) against a baseline run's: for a corruption c over its severities s,
 * {@code CE_c = sum_s E(s, c) / sum_s E_baseline(s, c)} with E the top-1 error, and the relative
 * {@code rCE_c = sum_s (E(s, c) - E_clean) / sum_s (E_baseline(s, c) - E_baseline_clean)}; mCE and relative mCE
 * are their means over the corruptions. ImageNet-C's baseline is AlexNet; here it is whichever run the user names,
 * which scores 100% against itself.
 *
 * @param clean top-1 on the uncorrupted split
 */
public record Robustness(String run, String split, double clean, List<Cell> cells) {

  /** One corrupted split's figures. */
  public record Cell(String corruption, int severity, String split, double top1, double ece, long images) {}

  public boolean isEmpty() {
    return cells.isEmpty();
  }

  /** The corruptions in the order their splits came, each with its severities' cells. */
  public Map<String, List<Cell>> byCorruption() {
    Map<String, List<Cell>> out = new LinkedHashMap<>();
    for (Cell c : cells) {
      out.computeIfAbsent(c.corruption(), k -> new ArrayList<>()).add(c);
    }
    return out;
  }

  public double meanTop1() {
    return cells.stream().mapToDouble(Cell::top1).average().orElse(Double.NaN);
  }

  public double meanEce() {
    return cells.stream().mapToDouble(Cell::ece).average().orElse(Double.NaN);
  }

  /** CE of one corruption against {@code baseline}, over the severities both have; empty when they share none. */
  public OptionalDouble ce(String corruption, Robustness baseline) {
    return ratio(corruption, baseline, false);
  }

  /** Relative CE: the errors above each run's own clean error; empty when the baseline lost nothing. */
  public OptionalDouble relativeCe(String corruption, Robustness baseline) {
    return ratio(corruption, baseline, true);
  }

  private OptionalDouble ratio(String corruption, Robustness baseline, boolean relative) {
    Map<Integer, Cell> theirs = new LinkedHashMap<>();
    for (Cell c : baseline.byCorruption().getOrDefault(corruption, List.of())) {
      theirs.put(c.severity(), c);
    }
    double ours = 0;
    double base = 0;
    int shared = 0;
    for (Cell c : byCorruption().getOrDefault(corruption, List.of())) {
      Cell b = theirs.get(c.severity());
      if (b == null) {
        continue;
      }
      ours += (1 - c.top1()) - (relative ? 1 - clean : 0);
      base += (1 - b.top1()) - (relative ? 1 - baseline.clean() : 0);
      shared++;
    }
    return shared == 0 || base <= 0 ? OptionalDouble.empty() : OptionalDouble.of(ours / base);
  }

  /** mCE against {@code baseline}: the mean CE over the corruptions both runs have; empty when none. */
  public OptionalDouble mce(Robustness baseline) {
    return mean(baseline, false);
  }

  public OptionalDouble relativeMce(Robustness baseline) {
    return mean(baseline, true);
  }

  private OptionalDouble mean(Robustness baseline, boolean relative) {
    return byCorruption().keySet().stream().map(c -> ratio(c, baseline, relative)).filter(OptionalDouble::isPresent)
        .mapToDouble(OptionalDouble::getAsDouble).average();
  }

  /** One line for a command's output: the corrupted splits' mean top-1 and ECE, and the mCE when there is a baseline. */
  public String summary(Robustness baseline) {
    String line = String.format(Locale.ROOT, "%d corrupted splits: mean top-1 %.4f (clean %.4f), mean ECE %.4f",
        cells.size(), meanTop1(), clean, meanEce());
    if (baseline != null) {
      OptionalDouble mce = mce(baseline);
      OptionalDouble rel = relativeMce(baseline);
      line += mce.isPresent() ? String.format(Locale.ROOT, ", mCE %.1f%%", 100 * mce.getAsDouble()) : ", no mCE";
      line += rel.isPresent() ? String.format(Locale.ROOT, ", relative mCE %.1f%%", 100 * rel.getAsDouble()) : "";
      line += " against " + baseline.run();
    }
    return line;
  }
}
