package io.cvpipe.eval.shift;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** A split that {@code cvpipe shift} made from another: {@code <base>-<corruption>-<severity>}. */
public record ShiftedSplit(String split, Corruption corruption, int severity) {

  /** ImageNet-C's order: corruptions as {@link Corruption} lists them, then severities. */
  public static final Comparator<ShiftedSplit> ORDER =
      Comparator.comparing(ShiftedSplit::corruption).thenComparingInt(ShiftedSplit::severity);

  /** What {@code split} is as a corrupted copy of {@code base}; null when it is not one. */
  public static ShiftedSplit of(String base, String split) {
    String prefix = base + "-";
    if (!split.startsWith(prefix) || split.length() < prefix.length() + 3 || split.charAt(split.length() - 2) != '-') {
      return null;
    }
    char severity = split.charAt(split.length() - 1);
    Corruption corruption = Corruption.named(split.substring(prefix.length(), split.length() - 2));
    return corruption == null || severity < '1' || severity > '5' ? null
        : new ShiftedSplit(split, corruption, severity - '0');
  }

  /** The corrupted copies of {@code base} among {@code splits}, in ImageNet-C's order. */
  public static List<ShiftedSplit> of(String base, List<String> splits) {
    return splits.stream().map(s -> of(base, s)).filter(Objects::nonNull).sorted(ORDER).toList();
  }
}
